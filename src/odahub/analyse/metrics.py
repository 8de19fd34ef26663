"""Evaluation metrics, paired bootstrap intervals, and consistency checks on what is reported."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.stats import rankdata

EPS = 1e-6


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, EPS, 1 - EPS)
    return np.asarray(np.log(p / (1 - p)))


def _newton(z: np.ndarray, y: np.ndarray, slope_fixed: bool) -> tuple[float, float]:
    """Maximum-likelihood logistic fit of y on (1, z) — or on 1 with offset z — by Newton steps."""
    mean = float(np.clip(y.mean(), EPS, 1 - EPS))
    a, b = (float(np.log(mean / (1 - mean))), 0.0) if not slope_fixed else (0.0, 1.0)
    for _ in range(100):
        p = 1 / (1 + np.exp(-(a + b * z)))
        w = np.maximum(p * (1 - p), 1e-12)
        r = y - p
        if slope_fixed:
            step_a, step_b = float(r.sum() / w.sum()), 0.0
        else:
            h = np.array([[w.sum(), (w * z).sum()], [(w * z).sum(), (w * z * z).sum()]])
            g = np.array([r.sum(), (r * z).sum()])
            try:
                step_a, step_b = np.linalg.solve(h + 1e-9 * np.eye(2), g)
            except np.linalg.LinAlgError:
                return float("nan"), float("nan")
        a, b = a + float(np.clip(step_a, -5, 5)), b + float(np.clip(step_b, -5, 5))
        if abs(step_a) + abs(step_b) < 1e-8:
            break
    return a, b


def calibration(y: np.ndarray, p: np.ndarray) -> tuple[float, float]:
    """Calibration slope (logistic recalibration) and intercept (calibration-in-the-large)."""
    if y.min() == y.max():
        return float("nan"), float("nan")
    z = logit(p)
    slope = _newton(z, y, slope_fixed=False)[1] if np.ptp(z) > 1e-9 else float("nan")
    intercept = _newton(z, y, slope_fixed=True)[0]
    return float(slope), float(intercept)


def at_k(y: np.ndarray, score: np.ndarray, k: int) -> dict[str, float]:
    """Precision, recall and lift among the k highest scores; ties at the cut share the places."""
    k = max(1, min(k, y.size))
    threshold = np.partition(score, y.size - k)[y.size - k]
    above, tied = score > threshold, score == threshold
    hits = float(y[above].sum()) + (k - int(above.sum())) * float(y[tied].mean())
    base = float(y.mean()) if y.size else float("nan")
    precision = hits / k
    positives = float(y.sum())
    return {"precision_at_k": precision,
            "recall_at_k": hits / positives if positives else float("nan"),
            "lift_at_k": precision / base if base else float("nan")}


def auroc(y: np.ndarray, score: np.ndarray) -> float:
    """Mann-Whitney AUROC with ties counted half (as sklearn), without per-call validation cost."""
    positives = float(y.sum())
    negatives = y.size - positives
    ranks = rankdata(score)
    return float((ranks[y == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def average_precision(y: np.ndarray, score: np.ndarray) -> float:
    """Step-wise area under the precision-recall curve over distinct thresholds (as sklearn)."""
    order = np.argsort(-score, kind="mergesort")
    ordered_y, ordered_s = y[order], score[order]
    ends = np.r_[np.flatnonzero(np.diff(ordered_s)), y.size - 1]
    tp = np.cumsum(ordered_y)[ends]
    fp = (ends + 1) - tp
    precision = tp / (tp + fp)
    recall = tp / tp[-1]
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def point(y: np.ndarray, score: np.ndarray, k: int) -> dict[str, float]:
    """Every metric on one sample. Scores must be probabilities for Brier and calibration."""
    if y.min() == y.max():
        area = pr_auc = float("nan")
    else:
        area, pr_auc = auroc(y, score), average_precision(y, score)
    slope, intercept = calibration(y, score)
    return {"auroc": area, "pr_auc": pr_auc, "brier": float(np.mean((score - y) ** 2)),
            "calibration_slope": slope, "calibration_intercept": intercept,
            **at_k(y, score, k)}


def bootstrap_indices(n: int, rounds: int, seed: int,
                      clusters: np.ndarray | None = None) -> list[np.ndarray]:
    """Row indices of each resample. With `clusters` (one id per row) whole clusters are drawn
    with replacement: the same household or area in several pooled test years moves together,
    so intervals are not made narrow by counting it as independent evidence each year."""
    rng = np.random.default_rng(seed)
    if clusters is None:
        return list(rng.integers(0, n, size=(rounds, n)))
    codes = np.unique(clusters, return_inverse=True)[1].ravel()
    rows = np.argsort(codes, kind="stable")
    sizes = np.bincount(codes)
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    out = []
    for picked in rng.integers(0, sizes.size, size=(rounds, sizes.size)):
        lengths = sizes[picked]
        ends = np.cumsum(lengths)
        # each drawn cluster's rows: its start plus 0..size-1, all at once
        within = np.arange(ends[-1]) - np.repeat(ends - lengths, lengths)
        out.append(rows[np.repeat(starts[picked], lengths) + within])
    return out


def interval(values: np.ndarray) -> list[float]:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return [float("nan"), float("nan")]
    low, high = np.percentile(finite, [2.5, 97.5])
    return [float(low), float(high)]


def bootstrap(y: np.ndarray, scores: dict[str, np.ndarray], k: int, rounds: int = 200,
              seed: int = 0, reference: str = "model",
              clusters: np.ndarray | None = None) -> dict[str, Any]:
    """Paired bootstrap: the same resamples for every scorer, so differences get intervals too;
    resampling whole `clusters` (entities) when given."""
    names = list(scores)
    draws = {name: [] for name in names}  # type: dict[str, list[dict[str, float]]]
    for idx in bootstrap_indices(y.size, rounds, seed, clusters):  # resamples, not rows
        for name in names:
            draws[name].append(point(y[idx], scores[name][idx], k))
    out: dict[str, Any] = {}
    metrics = list(draws[names[0]][0])
    for name in names:
        table = {m: np.array([d[m] for d in draws[name]]) for m in metrics}
        out[name] = {"point": point(y, scores[name], k),
                     "ci95": {m: interval(table[m]) for m in metrics}}
        if name != reference:
            ref = {m: np.array([d[m] for d in draws[reference]]) for m in ("auroc", "pr_auc",
                                                                           "brier")}
            out[name]["difference_ci95"] = {m: interval(ref[m] - table[m]) for m in ref}
    return out


def reliability(y: np.ndarray, p: np.ndarray, bins: int = 10) -> dict[str, list[float]]:
    """Mean predicted vs observed rate in quantile bins of the score."""
    edges = np.unique(np.quantile(p, np.linspace(0, 1, bins + 1)))
    which = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, max(len(edges) - 2, 0))
    counts = np.bincount(which, minlength=len(edges) - 1).astype(float)
    keep = counts > 0
    predicted = np.bincount(which, weights=p, minlength=len(edges) - 1)[keep] / counts[keep]
    observed = np.bincount(which, weights=y, minlength=len(edges) - 1)[keep] / counts[keep]
    return {"predicted": predicted.tolist(), "observed": observed.tolist(),
            "count": counts[keep].tolist()}


def consistency(report: dict[str, Any], n: int, positives: int, k: int) -> list[str]:
    """Checks that reported numbers agree with each other; returns the problems found."""
    problems = []
    base = positives / n if n else float("nan")
    for name, result in report.items():
        m = result["point"]
        for metric in ("auroc", "pr_auc", "brier", "precision_at_k"):
            value = m[metric]
            if np.isfinite(value) and not 0 <= value <= 1:
                problems.append(f"{name}: {metric}={value} outside [0, 1]")
        if np.isfinite(m["lift_at_k"]) and abs(m["lift_at_k"] - m["precision_at_k"] / base) > 1e-9:
            problems.append(f"{name}: lift@k != precision@k / base rate")
        if positives and m["recall_at_k"] > min(1.0, k / positives) + 1e-9:
            problems.append(f"{name}: recall@k exceeds what k={k} allows")
        for metric, (low, high) in result["ci95"].items():
            value = m[metric]
            if np.isfinite(value) and np.isfinite(low) and not low - 0.05 <= value <= high + 0.05:
                problems.append(f"{name}: {metric}={value:.3f} far outside its CI [{low:.3f}, "
                                f"{high:.3f}]")
    return problems
