"""The evaluation harness, the same for every model: rolling temporal hold-out with baselines.

For each fold: train on snapshots whose outcome windows end before the calibration date,
calibrate on the next snapshot, test on the snapshot after that (all outcomes after training).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from odahub.analyse import metrics
from odahub.analyse.fairness import disparities, fairness_table
from odahub.analyse.frames import MartCache, frame, groups, matrix, simple_columns
from odahub.analyse.specs import ModelSpec
from odahub.analyse.train import (
    RiskModel,
    calibrated_baseline,
    fit_logistic,
    fit_model,
    kde_hotspot,
)
from odahub.errors import OdahubError


class InsufficientData(OdahubError):
    """Too few rows or outcomes to fit and evaluate a model honestly."""


SYNTHETIC = "SYNTHETIC DATA: every figure comes from a generated county, not real people"
MIN_HISTORY_DAYS = 365
MIN_TEST_ROWS, MIN_TEST_POSITIVES = 30, 5  # fewer cannot show anything honestly


@dataclass(frozen=True)
class Split:
    train: tuple[date, ...]
    calibrate: date
    test: date


def splits(start: date, end: date, horizon: int, folds: int | None = 1, fold_step: int = 365,
           step: int = 182) -> list[Split]:
    """Rolling origins `fold_step` apart, newest first; training snapshots every `step` days.

    `folds=None` takes as many origins as the history allows (each needs a training snapshot
    with `MIN_HISTORY_DAYS` of history before it)."""
    out = []
    for fold in range(folds if folds is not None else (end - start).days // fold_step + 1):
        test = end - timedelta(days=horizon + fold * fold_step)
        calibrate = test - timedelta(days=horizon)
        train, at = [], calibrate - timedelta(days=horizon)
        while at >= start + timedelta(days=MIN_HISTORY_DAYS):
            train.append(at)
            at -= timedelta(days=step)
        if train:
            out.append(Split(tuple(train), calibrate, test))
    return out


@dataclass
class Evaluation:
    spec: ModelSpec
    split: Split
    model: RiskModel
    report: dict[str, Any]
    test: pd.DataFrame
    scores: dict[str, np.ndarray] = field(default_factory=dict)


def baselines(spec: ModelSpec, model: RiskModel, train: pd.DataFrame, cal: pd.DataFrame,
              test: pd.DataFrame, cache: MartCache, split: Split) -> dict[str, np.ndarray]:
    scores = {"base_rate": np.full(len(test), model.base_rate),
              "rule": calibrated_baseline("baseline_rule", cal, test)}
    if spec.grade:
        scores["dash_grade"] = calibrated_baseline("baseline_grade", cal, test)
    features = simple_columns(train)
    logistic = fit_logistic(train, features)
    scores["logistic"] = np.asarray(logistic.predict_proba(matrix(test, features))[:, 1])
    if spec.entity == "oa":
        scores["kde_hotspot"] = _kde_baseline(cal, test)
    return scores


def _kde_baseline(cal: pd.DataFrame, test: pd.DataFrame) -> np.ndarray:
    """Density of the last year's child missing episodes, calibrated like every baseline."""
    cal = cal.assign(baseline_kde=kde_hotspot(cal, cal, "child_missing_episode_12m"))
    test = test.assign(baseline_kde=kde_hotspot(test, test, "child_missing_episode_12m"))
    return calibrated_baseline("baseline_kde", cal, test)


def operational_k(spec: ModelSpec, cohort: int) -> int:
    return max(1, min(spec.k, int(round(spec.k_share * cohort))))


@dataclass
class Fold:
    split: Split
    model: RiskModel
    train_rows: int
    train_positives: int
    calibrate_rows: int
    test: pd.DataFrame
    scores: dict[str, np.ndarray]


def fit_fold(cache: MartCache, spec: ModelSpec, split: Split) -> Fold:
    train = pd.concat([frame(cache, spec, d) for d in split.train], ignore_index=True)
    cal = frame(cache, spec, split.calibrate)
    test = frame(cache, spec, split.test)
    if train["label"].nunique() < 2 or cal["label"].nunique() < 2 or test.empty:
        raise InsufficientData(f"{spec.name}: no outcome variation in training or calibration, "
                               "or an empty test set: the county is too small for this model")
    model = fit_model(spec.name, train, cal)
    scores = {"model": model.predict_frame(test),
              **baselines(spec, model, train, cal, test, cache, split)}
    return Fold(split, model, len(train), int(train["label"].sum()), len(cal),
                test.assign(test_as_of=split.test), scores)


Planted = Callable[[pd.DataFrame, date], "np.ndarray | None"]


def evaluate(cache: MartCache, spec: ModelSpec, split: Split | list[Split], rounds: int = 200,
             planted: Planted | None = None) -> Evaluation:
    """Rolling origin: each fold trains before its own test year; test rows are pooled."""
    folds = [fit_fold(cache, spec, s) for s in ([split] if isinstance(split, Split) else split)]
    test = pd.concat([f.test for f in folds], ignore_index=True)
    if len(test) < MIN_TEST_ROWS or test["label"].sum() < MIN_TEST_POSITIVES:
        raise InsufficientData(f"{spec.name}: {len(test)} test rows with "
                               f"{int(test['label'].sum())} outcomes are too few to evaluate")
    scores = {name: np.concatenate([f.scores[name] for f in folds]) for name in folds[0].scores}
    y = test["label"].to_numpy(dtype=int)
    k = sum(operational_k(spec, len(f.test)) for f in folds)
    # Pooled test years hold the same households and areas again: resample entities.
    results = metrics.bootstrap(y, scores, k, rounds=rounds,
                                clusters=test["entity_id"].to_numpy())
    newest = folds[0]
    report: dict[str, Any] = {
        "label": SYNTHETIC, "model": spec.name, "entity": spec.entity,
        "folds": len(folds), "train_as_of": [d.isoformat() for d in newest.split.train],
        "calibrate_as_of": newest.split.calibrate.isoformat(),
        "test_as_of": [f.split.test.isoformat() for f in folds],
        "horizon_days": spec.horizon_days,
        "rows": {"train": newest.train_rows, "calibrate": newest.calibrate_rows,
                 "test": len(test)},
        "positives": {"train": newest.train_positives, "test": int(y.sum())},
        "base_rate_test": float(y.mean()), "k": k, "results": results,
        "beats": beats(results), "reliability": metrics.reliability(y, scores["model"]),
        "consistency_problems": metrics.consistency(results, len(y), int(y.sum()), k),
        "features": len(newest.model.features)}
    table = fairness_table(y, scores["model"], k, groups(test, spec))
    report["fairness"] = table
    report["fnr_gaps"] = disparities(table)
    if planted is not None:
        best = [planted(f.test, f.split.test) for f in folds]
        found = [b for b in best if b is not None]
        if len(found) == len(best):
            report["planted_best"] = _planted(y, np.concatenate(found), scores["model"], k)
    return Evaluation(spec, newest.split, newest.model, report, test, scores)


def beats(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """For each baseline: AUROC and PR-AUC gains with paired 95% CIs, and whether either interval
    excludes zero (the model is shown better on that metric)."""
    out = {}
    for name, result in results.items():
        if name == "model":
            continue
        row: dict[str, Any] = {}
        for metric in ("auroc", "pr_auc"):
            low, high = result["difference_ci95"][metric]
            base = result["point"][metric]
            if not np.isfinite(base):  # a constant score ranks nobody: AUROC 0.5 by definition
                base = 0.5
                low, high = results["model"]["ci95"][metric]
                low, high = low - 0.5, high - 0.5
            gain = results["model"]["point"][metric] - base
            prefix = "auroc" if metric == "auroc" else "pr_auc"
            row[f"{prefix}_gain"] = round(gain, 4)
            row[f"{prefix}_gain_ci95" if metric == "pr_auc" else "gain_ci95"] = [low, high]
            row[f"{prefix}_ci_excludes"] = bool(np.isfinite(low) and low > 0)
        row["ci_excludes_baseline"] = row["auroc_ci_excludes"] or row["pr_auc_ci_excludes"]
        row["lift_at_k_ratio"] = _ratio(results["model"]["point"]["lift_at_k"],
                                        result["point"]["lift_at_k"])
        out[name] = row
    return out


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 3) if b and np.isfinite(a) and np.isfinite(b) else None


def _planted(y: np.ndarray, best: np.ndarray, model: np.ndarray, k: int) -> dict[str, float]:
    ok = np.isfinite(best)
    if ok.sum() < 10 or y[ok].min() == y[ok].max():
        return {}
    planted = metrics.point(y[ok], best[ok], k)
    ours = metrics.point(y[ok], model[ok], k)
    return {"auroc": planted["auroc"], "pr_auc": planted["pr_auc"],
            "auroc_gap": round(planted["auroc"] - ours["auroc"], 4),
            "pr_auc_gap": round(planted["pr_auc"] - ours["pr_auc"], 4),
            "coverage": float(ok.mean())}
