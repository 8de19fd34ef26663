"""On the synthetic county: the planted early-help effect on police call-outs is recovered inside
the reported interval; the naive before/after change of the treated is not."""

from __future__ import annotations

from pathlib import Path

import pytest

import odahub.synth
from odahub.benefits.evaluation import evaluate
from odahub.benefits.evaluation_data import (
    covariates_of,
    evaluation_table,
    planted_effect,
    truth_tables,
)
from odahub.engine.duck import DuckDBEngine

# What synth plants (src/odahub/synth/params.py: EARLY_HELP_RATE_RATIO = 0.70).
PLANTED_DEFAULT = -0.30
# The session's 1,500-person county has ~15 treated households: too few for any interval to be
# informative. 6,000 persons give 43-59 treated; over seeds 11-15 the planted effect lay inside
# the matched interval and above the naive estimate in all five (seed 13: the least marginal;
# measured before the synth gained fading household crises, 2026-11-24).
PERSONS, SEED = 6_000, 13


@pytest.fixture(scope="module")
def big_county(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not hasattr(odahub.synth, "generate_county"):
        pytest.skip("the synthetic county generator is not built yet (issue 2)")
    out = tmp_path_factory.mktemp("county_6k")
    odahub.synth.generate_county(out, persons=PERSONS, seed=SEED)
    if not (out / "truth" / "interventions.parquet").exists():
        pytest.skip("the county has no truth/interventions.parquet yet")
    return out


@pytest.mark.slow
def test_planted_effect_recovered_on_the_county(big_county: Path) -> None:
    planted = planted_effect(big_county)
    planted = PLANTED_DEFAULT if planted is None else planted
    units = evaluation_table(DuckDBEngine(), *truth_tables(big_county, "household"))
    covariates = covariates_of(units)
    # Selection is on last year's count; the year before and the household's risk factors are
    # what let the matches share the treated's lasting rate (see evaluation_table).
    assert any(c.startswith("prior_y2_") for c in covariates)
    assert "prior_unit_substance_misuse" in covariates
    result = evaluate(units, covariates, ["police_callouts"],
                      include_pre_outcomes=False, bootstrap=200, seed=1)
    callouts = result.effect("police_callouts")
    assert result.treated >= 30, result.treated
    low, high = callouts.relative_ci
    assert low <= planted <= high, callouts
    # Regression to the mean: the naive before/after change overstates the benefit. (Its
    # interval is wide at ~50 treated households: since the county's crises fade on their own,
    # its upper end can reach the planted effect, so the point estimate is what is asserted.)
    assert callouts.naive_relative < planted, callouts
    assert callouts.control_post < callouts.control_pre, callouts  # untreated matches fall too
