"""Outcome evaluation: before/after change of the treated against a matched comparison group.

Matching on pre-period covariates (propensity score with scikit-learn logistic regression and
k nearest neighbours within a caliper, or exact matching on the covariates), then a
difference-in-differences on each outcome: the treated's change minus their matches' change.
Confidence intervals by bootstrap, re-estimating the propensity model and the matches in every
replicate. The naive before/after change of the treated is reported beside it, because selection
on recent high need makes it look like an effect even when there is none (regression to the mean).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import NearestNeighbors
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from odahub.errors import SpecError

Method = Literal["propensity", "exact"]


@dataclass(frozen=True)
class OutcomeEffect:
    outcome: str
    treated_pre: float
    treated_post: float
    control_pre: float
    control_post: float
    naive_change: float            # treated post - pre
    naive_ci: tuple[float, float]
    effect: float                  # matched difference-in-differences (per unit per period)
    effect_ci: tuple[float, float]
    relative_effect: float         # effect / counterfactual post level (-0.4 = 40% fewer)
    relative_ci: tuple[float, float]
    naive_relative: float          # (post - pre) / pre, what a before/after report would say
    naive_relative_ci: tuple[float, float] = (float("nan"), float("nan"))


@dataclass
class EvaluationResult:
    method: str
    treated: int
    controls: int
    matched_treated: int
    covariates: list[str]
    balance: dict[str, dict[str, float]]  # standardised mean difference before / after
    effects: list[OutcomeEffect] = field(default_factory=list)
    bootstrap: int = 0
    confidence: float = 0.95

    def effect(self, outcome: str) -> OutcomeEffect:
        return next(e for e in self.effects if e.outcome == outcome)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class _Estimate:
    matched: int
    naive: np.ndarray
    effect: np.ndarray
    relative: np.ndarray
    naive_relative: np.ndarray
    means: np.ndarray  # rows: treated pre, treated post, control pre, control post
    weights: np.ndarray  # weight of each unit in the comparison group


def evaluate(units: pd.DataFrame, covariates: list[str], outcomes: list[str], *,
             treatment: str = "treated", method: Method = "propensity", neighbours: int = 5,
             caliper: float = 0.2, bootstrap: int = 200, confidence: float = 0.95,
             seed: int = 0, include_pre_outcomes: bool = True) -> EvaluationResult:
    """`units`: one row per person or household with a treatment flag, pre-period covariates
    and `<outcome>_pre` / `<outcome>_post` counts."""
    features = list(dict.fromkeys(
        covariates + ([f"{o}_pre" for o in outcomes] if include_pre_outcomes else [])))
    _check(units, features, outcomes, treatment)
    x = units[features].to_numpy(dtype=float)
    treated = units[treatment].to_numpy(dtype=bool)
    pre = units[[f"{o}_pre" for o in outcomes]].to_numpy(dtype=float)
    post = units[[f"{o}_post" for o in outcomes]].to_numpy(dtype=float)
    # Many small fits: one BLAS/OpenMP thread each is faster than threads fighting over cores.
    with threadpool_limits(1):
        point = _estimate(x, treated, pre, post, method, neighbours, caliper)
        draws = _bootstrap(x, treated, pre, post, method, neighbours, caliper, bootstrap, seed)
    alpha = (1 - confidence) / 2

    def ci(name: str, column: int) -> tuple[float, float]:
        values = np.array([getattr(d, name)[column] for d in draws])
        low, high = np.nanquantile(values, [alpha, 1 - alpha])
        return float(low), float(high)

    effects = [OutcomeEffect(
        outcome=name, treated_pre=point.means[0, j], treated_post=point.means[1, j],
        control_pre=point.means[2, j], control_post=point.means[3, j],
        naive_change=float(point.naive[j]), naive_ci=ci("naive", j),
        effect=float(point.effect[j]), effect_ci=ci("effect", j),
        relative_effect=float(point.relative[j]), relative_ci=ci("relative", j),
        naive_relative=float(point.naive_relative[j]),
        naive_relative_ci=ci("naive_relative", j)) for j, name in enumerate(outcomes)]
    return EvaluationResult(
        method=method, treated=int(treated.sum()), controls=int((~treated).sum()),
        matched_treated=point.matched, covariates=features,
        balance=_balance(x, treated, point.weights, features), effects=effects,
        bootstrap=bootstrap, confidence=confidence)


def _check(units: pd.DataFrame, features: list[str], outcomes: list[str], treatment: str) -> None:
    needed = [treatment, *features, *(f"{o}_{p}" for o in outcomes for p in ("pre", "post"))]
    missing = [c for c in needed if c not in units.columns]
    if missing:
        raise SpecError(f"the evaluation table lacks columns {missing}")
    flags = units[treatment].astype(bool)
    if flags.sum() < 2 or (~flags).sum() < 2:
        raise SpecError("an evaluation needs at least two treated and two comparison units")


def _matches(x: np.ndarray, treated: np.ndarray, method: Method, neighbours: int,
             caliper: float) -> tuple[np.ndarray, np.ndarray]:
    """For each treated unit, a row of comparison weights (summing to 1, or 0 if unmatched)."""
    t_idx, c_idx = np.flatnonzero(treated), np.flatnonzero(~treated)
    if method == "exact":
        keys = pd.Series([hash(row.tobytes()) for row in x])  # one key per covariate pattern
        return _exact(keys.to_numpy(), t_idx, c_idx)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    model.fit(x, treated)
    p = np.clip(model.predict_proba(x)[:, 1], 1e-6, 1 - 1e-6)
    logit = np.log(p / (1 - p))
    k = min(neighbours, len(c_idx))
    distance, found = NearestNeighbors(n_neighbors=k).fit(
        logit[c_idx, None]).kneighbors(logit[t_idx, None])
    within = distance <= caliper * logit.std()
    weights = within / np.maximum(within.sum(axis=1, keepdims=True), 1)
    return c_idx[found], weights


def _exact(keys: np.ndarray, t_idx: np.ndarray, c_idx: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray]:
    """Exact matching: every treated unit against all comparison units in its cell."""
    frame = pd.DataFrame({"key": keys[c_idx], "unit": c_idx})
    cells = frame.groupby("key")["unit"].apply(np.array).to_dict()
    width = max((len(v) for v in cells.values()), default=1)
    found = np.zeros((len(t_idx), width), dtype=int)
    weights = np.zeros((len(t_idx), width))
    for row, key in enumerate(keys[t_idx]):  # treated cohorts are thousands, not millions
        members = cells.get(key)
        if members is not None:
            found[row, : len(members)] = members
            weights[row, : len(members)] = 1 / len(members)
    return found, weights


def _estimate(x: np.ndarray, treated: np.ndarray, pre: np.ndarray, post: np.ndarray,
              method: Method, neighbours: int, caliper: float) -> _Estimate:
    found, weights = _matches(x, treated, method, neighbours, caliper)
    matched = weights.sum(axis=1) > 0
    t_idx = np.flatnonzero(treated)[matched]
    found, weights = found[matched], weights[matched]
    change = post - pre
    # Bias-corrected matching (Abadie & Imbens): adjust each match's change for the covariate
    # gap left between it and its treated unit, with a linear model fitted on comparison units.
    slope = _change_model(x[~treated], change[~treated])
    gap = x[t_idx] - np.einsum("ik,ikj->ij", weights, x[found])
    counter_change = np.einsum("ik,ikj->ij", weights, change[found]) + gap @ slope
    counter_pre = np.einsum("ik,ikj->ij", weights, pre[found])
    counter_post = np.einsum("ik,ikj->ij", weights, post[found])
    effect = (change[t_idx] - counter_change).mean(axis=0)
    counterfactual = pre[t_idx].mean(axis=0) + counter_change.mean(axis=0)
    all_treated = np.flatnonzero(treated)
    naive = change[all_treated].mean(axis=0)
    unit_weights = np.zeros(len(treated))
    np.add.at(unit_weights, found.ravel(), weights.ravel())
    with np.errstate(divide="ignore", invalid="ignore"):
        return _Estimate(
            matched=int(matched.sum()), naive=naive, effect=effect,
            relative=effect / counterfactual,
            naive_relative=naive / pre[all_treated].mean(axis=0),
            means=np.vstack([pre[t_idx].mean(axis=0), post[t_idx].mean(axis=0),
                             counter_pre.mean(axis=0), counter_post.mean(axis=0)]),
            weights=unit_weights)


def _change_model(x: np.ndarray, change: np.ndarray) -> np.ndarray:
    """Least-squares slopes of each outcome's change on the covariates (intercept dropped)."""
    design = np.column_stack([np.ones(len(x)), x])
    gram = design.T @ design + 1e-9 * np.eye(design.shape[1])  # normal equations: tiny system
    return np.asarray(np.linalg.solve(gram, design.T @ change)[1:])


def _bootstrap(x: np.ndarray, treated: np.ndarray, pre: np.ndarray, post: np.ndarray,
               method: Method, neighbours: int, caliper: float, reps: int, seed: int
               ) -> list[_Estimate]:
    """Resample treated and comparison units separately (keeping group sizes), re-match each."""
    rng = np.random.default_rng(seed)
    t_idx, c_idx = np.flatnonzero(treated), np.flatnonzero(~treated)
    draws = []
    for _ in range(reps):
        rows = np.concatenate([rng.choice(t_idx, len(t_idx)), rng.choice(c_idx, len(c_idx))])
        draws.append(_estimate(x[rows], treated[rows], pre[rows], post[rows], method,
                               neighbours, caliper))
    return draws


def _balance(x: np.ndarray, treated: np.ndarray, weights: np.ndarray, names: list[str]
             ) -> dict[str, dict[str, float]]:
    """Standardised mean difference of each covariate, before and after matching."""
    spread = np.sqrt((x[treated].var(axis=0) + x[~treated].var(axis=0)) / 2)
    spread[spread == 0] = 1.0
    before = (x[treated].mean(axis=0) - x[~treated].mean(axis=0)) / spread
    matched_controls = np.average(x, axis=0, weights=weights) if weights.sum() else before
    after = (x[treated].mean(axis=0) - matched_controls) / spread
    return {name: {"before": float(b), "after": float(a)}
            for name, b, a in zip(names, before, after, strict=True)}
