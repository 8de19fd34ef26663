"""Metrics agree with scikit-learn; calibration, bootstrap and consistency checks behave."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score

from odahub.analyse import drift, metrics


def sample(n: int = 3000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    p = 1 / (1 + np.exp(-rng.normal(-2, 1.2, n)))
    return (rng.random(n) < p).astype(int), p


def test_ranking_metrics_match_sklearn() -> None:
    y, p = sample()
    rounded = np.round(p, 2)  # ties
    assert abs(metrics.auroc(y, rounded) - roc_auc_score(y, rounded)) < 1e-12
    assert abs(metrics.average_precision(y, rounded) - average_precision_score(y, rounded)) < 1e-12


def test_calibration_slope_of_true_probabilities_is_one() -> None:
    y, p = sample(20000)
    slope, intercept = metrics.calibration(y, p)
    assert 0.9 < slope < 1.1 and abs(intercept) < 0.1, (slope, intercept)
    over, _ = metrics.calibration(y, 1 / (1 + np.exp(-2 * metrics.logit(p))))
    assert over < 0.6, over  # an over-confident score has a slope well below one


def test_ties_at_the_cut_share_the_places() -> None:
    y = np.array([1, 0, 1, 0])
    result = metrics.at_k(y, np.zeros(4), 2)
    assert result["precision_at_k"] == 0.5 and result["lift_at_k"] == 1.0


def test_bootstrap_is_paired_and_consistent() -> None:
    y, p = sample(1500)
    report = metrics.bootstrap(y, {"model": p, "base_rate": np.full(y.size, y.mean())}, k=100,
                               rounds=60)
    low, high = report["base_rate"]["difference_ci95"]["auroc"]
    assert low > 0, (low, high)
    assert metrics.consistency(report, y.size, int(y.sum()), 100) == []
    report["model"]["point"]["lift_at_k"] = 99.0
    assert metrics.consistency(report, y.size, int(y.sum()), 100)


def test_cluster_bootstrap_draws_whole_entities_and_is_not_fooled_by_repeats() -> None:
    y, p = sample(600)
    # The same 600 entities in three pooled test years: no more evidence than one year.
    y3, p3, ids = np.tile(y, 3), np.tile(p, 3), np.tile(np.arange(600), 3)
    for idx in metrics.bootstrap_indices(ids.size, 5, 0, ids):
        counts = np.bincount(ids[idx], minlength=600)
        assert idx.size == ids.size and np.all(counts % 3 == 0)

    def width(report: dict) -> float:
        low, high = report["model"]["ci95"]["auroc"]
        return high - low

    scores = {"model": p3}
    rows = width(metrics.bootstrap(y3, scores, k=50, rounds=200))
    entities = width(metrics.bootstrap(y3, scores, k=50, rounds=200, clusters=ids))
    alone = width(metrics.bootstrap(y, {"model": p}, k=50, rounds=200))
    assert entities > 1.4 * rows, (entities, rows)
    assert abs(entities - alone) < 0.35 * alone, (entities, alone)


def test_psi_flags_a_shifted_population() -> None:
    rng = np.random.default_rng(1)
    base = rng.normal(0, 1, 5000)
    assert drift.psi(base, rng.normal(0, 1, 5000)) < 0.02
    shifted = drift.check({"x": base}, {"x": base + 1.5}, base, base + 1.5)
    assert shifted["signal"] in {"retrain", "retire"}, shifted
