"""Outcome evaluation recovers a planted effect; a naive before/after comparison does not."""

from __future__ import annotations

import pytest

from odahub.benefits.evaluation import evaluate
from odahub.errors import SpecError
from tests.benefits.simulate import OUTCOMES, simulate_cohort

PLANTED = 0.3  # the programme cuts every outcome's rate by 30%


@pytest.fixture(scope="module")
def result():  # type: ignore[no-untyped-def]
    units = simulate_cohort(n=3000, effect=PLANTED, trend=-0.1, seed=3)
    return evaluate(units, ["age"], OUTCOMES, bootstrap=150, seed=1)


def test_planted_effect_is_inside_the_matched_interval(result) -> None:  # type: ignore[no-untyped-def]
    assert result.treated > 150 and result.matched_treated >= 0.9 * result.treated
    for outcome in OUTCOMES:
        effect = result.effect(outcome)
        low, high = effect.relative_ci
        assert low <= -PLANTED <= high, (outcome, effect)
    assert result.effect("police_callouts").relative_ci[1] < 0  # the programme is shown to work


def test_naive_before_after_is_biased_where_matching_is_not(result) -> None:  # type: ignore[no-untyped-def]
    """Selection on recent high counts: the treated would have fallen anyway."""
    for outcome in OUTCOMES:
        effect = result.effect(outcome)
        assert effect.naive_relative < -PLANTED - 0.05, (outcome, effect.naive_relative)
        assert abs(effect.relative_effect + PLANTED) < abs(effect.naive_relative + PLANTED)
    # The naive change overstates the reduction: its interval lies below the true counterfactual
    # change the matched estimate reports.
    asb = result.effect("asb")
    assert asb.naive_ci[1] < asb.effect_ci[0], asb


def test_matching_balances_the_covariates(result) -> None:  # type: ignore[no-untyped-def]
    worst_before = max(abs(b["before"]) for b in result.balance.values())
    worst_after = max(abs(b["after"]) for b in result.balance.values())
    assert worst_before > 0.5 and worst_after < 0.25, result.balance


@pytest.mark.slow
def test_exact_matching_on_a_coarse_covariate_also_recovers_the_effect() -> None:
    units = simulate_cohort(n=3000, effect=PLANTED, seed=7)
    units["risk_band"] = sum(units[f"{o}_pre"] for o in OUTCOMES)  # total prior contacts
    found = evaluate(units, ["risk_band"], ["police_callouts"], method="exact",
                     include_pre_outcomes=False, bootstrap=100, seed=2)
    low, high = found.effect("police_callouts").relative_ci
    assert low <= -PLANTED <= high


def test_missing_columns_are_named() -> None:
    units = simulate_cohort(n=100)
    with pytest.raises(SpecError, match="truancy_pre"):
        evaluate(units, ["age"], ["truancy"], bootstrap=5)
