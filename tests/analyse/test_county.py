"""The adapters on the real synthetic county (truth) and on the pipeline's lake."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pyarrow.compute as pc
import pytest

import odahub.synth
from odahub.analyse import marts
from odahub.analyse.inputs import from_truth
from odahub.analyse.relations import EVENTS_COLUMNS, PERSONS_COLUMNS
from odahub.engine.duck import DuckDBEngine

needs_synth = pytest.mark.skipif(not hasattr(odahub.synth, "generate_county"),
                                 reason="the synth stage (issue 2) has not landed yet")


@needs_synth
def test_truth_adapter_gives_canonical_relations(county: Path) -> None:
    engine = DuckDBEngine()
    inputs = from_truth(county, engine)
    assert inputs.events.column_names == list(EVENTS_COLUMNS)
    assert inputs.persons.column_names == list(PERSONS_COLUMNS)
    assert inputs.events.num_rows > 0 and inputs.persons.num_rows > 0
    assert pc.all(pc.is_valid(inputs.events.column("agency"))).as_py()
    inputs.register(engine)
    as_of = inputs.end_date - timedelta(days=365)
    built = marts.build(engine, as_of)
    last = pc.max(built["person_features"].column("last_contact")).as_py()
    assert last <= as_of
    engine.close()


@needs_synth
@pytest.mark.slow
def test_da_model_on_the_county_beats_base_rate_and_reports_the_planted_best(
        county: Path) -> None:
    from odahub.analyse.evaluate import evaluate, splits
    from odahub.analyse.frames import MartCache
    from odahub.analyse.planted import planted_scores
    from odahub.analyse.specs import SPECS

    engine = DuckDBEngine()
    inputs = from_truth(county, engine)
    inputs.register(engine)
    spec = SPECS["da_escalation"]
    start = pc.min(inputs.events.column("event_date")).as_py()
    folds = splits(start, inputs.end_date, spec.horizon_days, folds=2)
    report = evaluate(MartCache(engine), spec, folds, rounds=60,
                      planted=lambda test, as_of: planted_scores(inputs, spec, test, as_of)
                      ).report
    assert report["beats"]["base_rate"]["ci_excludes_baseline"], report["beats"]
    best = report["planted_best"]
    assert best["auroc"] > report["results"]["model"]["point"]["auroc"] - 0.05, best
    assert report["consistency_problems"] == []
    engine.close()
