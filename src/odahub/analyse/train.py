"""Fitting: the LightGBM model with Platt calibration (slope pooled with cross-fitted training
scores, intercept from the later slice), and the baselines."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from scipy.optimize import brentq
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
from sklearn.model_selection import StratifiedKFold
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
    """Logistic recalibration of a raw score: sigmoid(intercept + slope * logit(raw)).

    The slope is fitted on the later slice pooled with cross-fitted (out-of-fold) scores of the
    training rows when given: the later slice alone holds few outcomes, and a slope fitted on it
    swings from fold to fold (test slopes of 0.85-1.15 on the 20,000-person county). The
    intercept is then refitted on the later slice alone, so a drift in the base rate is still
    taken from the most recent data.
    """

    slope: float = 1.0
    intercept: float = 0.0
    constant: float | None = 0.5
    on_logit: bool = True

    def fit(self, raw: np.ndarray, y: np.ndarray, on_logit: bool = True,
            pooled: tuple[np.ndarray, np.ndarray] | None = None) -> Platt:
        if y.min() == y.max():
            self.constant = float(y.mean())
            return self
        self.on_logit, self.constant = on_logit, None
        x = logit(raw) if on_logit else raw
        if pooled is None:
            fitted = LogisticRegression(C=1e4, max_iter=1000).fit(x.reshape(-1, 1), y)
            self.slope, self.intercept = float(fitted.coef_[0, 0]), float(fitted.intercept_[0])
            return self
        both = np.concatenate([x, logit(pooled[0]) if on_logit else pooled[0]])
        fitted = LogisticRegression(C=1e4, max_iter=1000).fit(
            both.reshape(-1, 1), np.concatenate([y, pooled[1]]))
        self.slope = float(fitted.coef_[0, 0])
        self.intercept = _intercept_given_slope(self.slope * x, y)
        return self

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Models registered before the pooled slope kept a fitted LogisticRegression."""
        legacy = state.pop("model", False)
        if legacy is not False:
            state["constant"] = state.get("constant") if legacy is None else None
            if legacy is not None:
                state["slope"] = float(legacy.coef_[0, 0])
                state["intercept"] = float(legacy.intercept_[0])
        self.__dict__.update({"slope": 1.0, "intercept": 0.0, **state})

    def __call__(self, raw: np.ndarray) -> np.ndarray:
        if self.constant is not None:
            return np.full(raw.shape, self.constant)
        x = logit(raw) if self.on_logit else raw
        return np.asarray(1 / (1 + np.exp(-(self.intercept + self.slope * x))))


def _intercept_given_slope(z: np.ndarray, y: np.ndarray) -> float:
    """The maximum-likelihood intercept with the slope held fixed: mean prediction = mean y."""
    def excess(b: float) -> float:
        return float(np.sum(1 / (1 + np.exp(-(b + z)))) - y.sum())

    return float(brentq(excess, -30.0, 30.0))


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


def fit_model(name: str, train: pd.DataFrame, calibrate: pd.DataFrame,
              params: dict[str, Any] | None = None) -> RiskModel:
    """LightGBM (LIGHTGBM_PARAMS, updated by `params` for one model) with Platt calibration."""
    params = {**LIGHTGBM_PARAMS, **(params or {})}
    features = feature_columns(train)
    # Drop features constant in training: they carry nothing and clutter explanations.
    x = matrix(train, features)
    finite = np.where(np.isfinite(x), x, 0.0)
    varying = [f for f, col in zip(features, finite.T, strict=True) if np.ptp(col) > 0]
    x = matrix(train, varying)
    y = train["label"].to_numpy(dtype=int)
    booster = lgb.LGBMClassifier(**params)
    booster.fit(pd.DataFrame(x, columns=varying), y)
    model = RiskModel(name=name, features=varying, booster=booster, calibrator=Platt(),
                      base_rate=float(y.mean()), params=params)
    raw = model.raw(matrix(calibrate, varying))
    model.calibrator.fit(raw, calibrate["label"].to_numpy(dtype=int),
                         pooled=_cross_fitted(x, y, varying, params))
    return model


CROSS_FIT_FOLDS = 3


def _cross_fitted(x: np.ndarray, y: np.ndarray, features: list[str], params: dict[str, Any]
                  ) -> tuple[np.ndarray, np.ndarray] | None:
    """Out-of-fold raw scores of the training rows (None when too few outcomes to split)."""
    if min(int(y.sum()), int(len(y) - y.sum())) < 10 * CROSS_FIT_FOLDS:
        return None
    out = np.zeros(len(y))
    folds = StratifiedKFold(CROSS_FIT_FOLDS, shuffle=True, random_state=0)
    for fit_rows, held_out in folds.split(x, y):
        booster = lgb.LGBMClassifier(**params)
        booster.fit(pd.DataFrame(x[fit_rows], columns=features), y[fit_rows])
        scores = booster.predict_proba(pd.DataFrame(x[held_out], columns=features))
        out[held_out] = np.asarray(scores)[:, 1]
    return out, y


def fit_logistic(train: pd.DataFrame, features: list[str]) -> Pipeline:
    """The plain baseline: logistic regression on the simple count features, its L2 penalty
    chosen by 5-fold cross-validated log-loss so that it is not weakened by over-fitting."""
    y = train["label"].to_numpy(dtype=int)
    # An early fold of a small county can hold fewer than five outcomes: fewer CV folds then,
    # and the default penalty when there are too few to cross-validate at all.
    folds = min(5, int(y.sum()), int(len(y) - y.sum()))
    model = (LogisticRegressionCV(Cs=8, cv=folds, scoring="neg_log_loss", max_iter=2000)
             if folds >= 2 else LogisticRegression(max_iter=2000))
    pipe = make_pipeline(SimpleImputer(strategy="median"), StandardScaler(), model)
    pipe.fit(matrix(train, features), y)
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
