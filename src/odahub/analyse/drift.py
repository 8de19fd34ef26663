"""Drift: population stability index (PSI) of features and scores, and what to do about it."""

from __future__ import annotations

from typing import Any

import numpy as np

BINS = 10
MONITOR, RETRAIN, RETIRE = 0.1, 0.25, 0.5  # conventional PSI thresholds


def psi(expected: np.ndarray, actual: np.ndarray, bins: int = BINS) -> float:
    """PSI over quantile bins of the expected (training) distribution."""
    expected = expected[np.isfinite(expected)]
    actual = actual[np.isfinite(actual)]
    if expected.size == 0 or actual.size == 0:
        return 0.0
    edges = np.unique(np.quantile(expected, np.linspace(0, 1, bins + 1)))
    if edges.size < 2:
        return 0.0
    inner = edges[1:-1]
    e = np.bincount(np.searchsorted(inner, expected, side="right"), minlength=inner.size + 1)
    a = np.bincount(np.searchsorted(inner, actual, side="right"), minlength=inner.size + 1)
    e_share = np.maximum(e / e.sum(), 1e-4)
    a_share = np.maximum(a / a.sum(), 1e-4)
    return float(np.sum((a_share - e_share) * np.log(a_share / e_share)))


def check(reference: dict[str, np.ndarray], current: dict[str, np.ndarray],
          reference_scores: np.ndarray, current_scores: np.ndarray) -> dict[str, Any]:
    features = {name: round(psi(reference[name], current[name]), 4)
                for name in reference if name in current}
    score_psi = round(psi(reference_scores, current_scores), 4)
    worst = max(features.values(), default=0.0)
    if score_psi >= RETIRE:
        signal = "retire"
    elif score_psi >= RETRAIN or worst >= RETIRE:
        signal = "retrain"
    elif score_psi >= MONITOR or worst >= RETRAIN:
        signal = "monitor"
    else:
        signal = "ok"
    top = dict(sorted(features.items(), key=lambda kv: -kv[1])[:10])
    return {"score_psi": score_psi, "max_feature_psi": worst, "feature_psi": top,
            "signal": signal}
