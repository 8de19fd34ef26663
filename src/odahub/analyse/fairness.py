"""Fairness: per-group selection rate, error rates and calibration (fairlearn MetricFrame)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from fairlearn.metrics import (
    MetricFrame,
    false_negative_rate,
    false_positive_rate,
    selection_rate,
)

SMALL_GROUP = 30  # fewer members, or fewer than 5 positives: too few to judge; flagged


def _mean_score(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(np.mean(y_pred))


def _observed(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(np.mean(y_true))


def _count(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(len(y_true))


def _positives(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(np.sum(y_true))


def fairness_table(y: np.ndarray, score: np.ndarray, k: int, groups: pd.DataFrame) -> list[
        dict[str, Any]]:
    """One row per (attribute, group). Selection = being in the top k."""
    selected = np.zeros(y.size, dtype=int)
    selected[np.argsort(-score, kind="stable")[:k]] = 1
    rows: list[dict[str, Any]] = []
    for attribute in groups.columns:
        labelled = {"selection_rate": selection_rate, "false_negative_rate": false_negative_rate,
                    "false_positive_rate": false_positive_rate, "count": _count,
                    "positives": _positives}
        frame = MetricFrame(metrics=labelled, y_true=y, y_pred=selected,
                            sensitive_features=groups[attribute].to_numpy())
        calib = MetricFrame(metrics={"mean_predicted": _mean_score, "observed_rate": _observed},
                            y_true=y, y_pred=score, sensitive_features=groups[attribute].to_numpy())
        table = frame.by_group.join(calib.by_group)
        for group, values in table.iterrows():  # a handful of groups per attribute
            count, positives = int(values["count"]), int(values["positives"])
            rows.append({
                "attribute": attribute, "group": str(group), "count": count,
                "positives": positives,
                **{m: _finite(values[m]) for m in ("selection_rate", "false_negative_rate",
                                                    "false_positive_rate", "mean_predicted",
                                                    "observed_rate")},
                "small_group": count < SMALL_GROUP or positives < 5})
    return rows


def _finite(value: Any) -> float | None:
    number = float(value)
    return round(number, 4) if np.isfinite(number) else None


def disparities(rows: list[dict[str, Any]]) -> dict[str, float]:
    """Largest gap in FNR between adequately sized groups of each attribute."""
    gaps: dict[str, float] = {}
    for attribute in {r["attribute"] for r in rows}:
        values = [r["false_negative_rate"] for r in rows if r["attribute"] == attribute
                  and not r["small_group"] and r["false_negative_rate"] is not None]
        if len(values) >= 2:
            gaps[attribute] = round(max(values) - min(values), 4)
    return gaps
