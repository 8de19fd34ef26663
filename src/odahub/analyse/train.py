"""Fitting: the LightGBM model with Platt calibration on a later slice, and the baselines."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
from sklearn.neighbors import KernelDensity
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from odahub.analyse.frames import feature_columns, matrix
from odahub.analyse.metrics import logit

# Strongly regularised: cohorts are small and the signal is smooth (tuned on the 20k county:
# shallower trees and column sampling gained ~0.04 AUROC over the library defaults).
LIGHTGBM_PARAMS: dict[str, Any] = {
    "n_estimators": 400, "learning_rate": 0.02, "num_leaves": 7, "min_child_samples": 60,
    "subsample": 0.8, "subsample_freq": 1, "colsample_bytree": 0.5, "reg_lambda": 5.0,
    "n_jobs": 2, "verbose": -1, "random_state": 0}


@dataclass
class Platt:
    """Logistic recalibration of a raw score; fitted on a slice later than the training data."""

    model: LogisticRegression | None = None
    constant: float = 0.5
    on_logit: bool = True

    def fit(self, raw: np.ndarray, y: np.ndarray, on_logit: bool = True) -> Platt:
        if y.min() == y.max():
            self.constant = float(y.mean())
            return self
        x = logit(raw) if on_logit else raw
        self.model = LogisticRegression(C=1e4, max_iter=1000).fit(x.reshape(-1, 1), y)
        self.on_logit = on_logit
        return self

    def __call__(self, raw: np.ndarray) -> np.ndarray:
        if self.model is None:
            return np.full(raw.shape, self.constant)
        x = logit(raw) if self.on_logit else raw
        return np.asarray(self.model.predict_proba(x.reshape(-1, 1))[:, 1])


@dataclass
class RiskModel:
    """A trained, calibrated pipeline plus what it needs to score new rows."""

    name: str
    features: list[str]
    booster: lgb.LGBMClassifier
    calibrator: Platt
    base_rate: float
    params: dict[str, Any] = field(default_factory=dict)

    def raw(self, x: np.ndarray) -> np.ndarray:
        frame_ = pd.DataFrame(x, columns=self.features)  # named, as at fit time
        return np.asarray(self.booster.predict_proba(frame_))[:, 1]

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.calibrator(self.raw(x))

    def predict_frame(self, frame_: pd.DataFrame) -> np.ndarray:
        return self.predict(matrix(frame_, self.features))


def fit_model(name: str, train: pd.DataFrame, calibrate: pd.DataFrame) -> RiskModel:
    features = feature_columns(train)
    # Drop features constant in training: they carry nothing and clutter explanations.
    x = matrix(train, features)
    finite = np.where(np.isfinite(x), x, 0.0)
    varying = [f for f, col in zip(features, finite.T, strict=True) if np.ptp(col) > 0]
    x = matrix(train, varying)
    y = train["label"].to_numpy(dtype=int)
    booster = lgb.LGBMClassifier(**LIGHTGBM_PARAMS)
    booster.fit(pd.DataFrame(x, columns=varying), y)
    model = RiskModel(name=name, features=varying, booster=booster, calibrator=Platt(),
                      base_rate=float(y.mean()), params=dict(LIGHTGBM_PARAMS))
    raw = model.raw(matrix(calibrate, varying))
    model.calibrator.fit(raw, calibrate["label"].to_numpy(dtype=int))
    return model


def fit_logistic(train: pd.DataFrame, features: list[str]) -> Pipeline:
    """The plain baseline: logistic regression on the simple count features, its L2 penalty
    chosen by 5-fold cross-validated log-loss so that it is not weakened by over-fitting."""
    pipe = make_pipeline(SimpleImputer(strategy="median"), StandardScaler(),
                         LogisticRegressionCV(Cs=8, cv=5, scoring="neg_log_loss", max_iter=2000))
    pipe.fit(matrix(train, features), train["label"].to_numpy(dtype=int))
    return pipe


def calibrated_baseline(column: str, calibrate: pd.DataFrame, test: pd.DataFrame) -> np.ndarray:
    """A rule or grade turned into a probability on the same calibration slice as the model."""
    platt = Platt().fit(calibrate[column].to_numpy(dtype=float),
                        calibrate["label"].to_numpy(dtype=int), on_logit=False)
    return platt(test[column].to_numpy(dtype=float))


def kde_hotspot(past: pd.DataFrame, targets: pd.DataFrame, weight: str) -> np.ndarray:
    """Kernel density of past indicator events (weighted at area centroids) at each area."""
    points = past[["latitude", "longitude"]].to_numpy(dtype=float)
    weights = past[weight].to_numpy(dtype=float)
    where = targets[["latitude", "longitude"]].to_numpy(dtype=float)
    ok = np.isfinite(points).all(axis=1) & (weights > 0)
    if ok.sum() < 2:
        return np.zeros(len(targets))
    spread = float(np.mean(np.std(points[ok], axis=0))) or 0.01
    bandwidth = spread * ok.sum() ** (-1 / 6)  # Scott's rule in two dimensions
    kde = KernelDensity(bandwidth=bandwidth).fit(points[ok], sample_weight=weights[ok])
    filled = np.where(np.isfinite(where), where, np.nanmean(points[ok], axis=0))
    return np.asarray(np.exp(kde.score_samples(filled)))
