"""The stage end to end on the tiny county: marts, train, cards, risk list, drift, tools."""

from __future__ import annotations

import json

import pytest

from odahub.analyse import registry, runner
from odahub.analyse.frames import MartCache
from odahub.analyse.missing import whereabouts
from odahub.analyse.relations import Inputs, conform_inputs
from odahub.analyse.specs import SPECS
from odahub.catalog.tables.analyse import DriftCheck
from odahub.errors import NotFound
from odahub.hub import Hub


@pytest.mark.slow
def test_train_and_score_write_cards_and_an_advisory_list(sqlite_hub: Hub,
                                                          mini_raw: Inputs) -> None:
    inputs = conform_inputs(sqlite_hub.engine, Inputs(**{**mini_raw.__dict__}))
    inputs.register(sqlite_hub.engine)
    session = runner.Session(sqlite_hub, inputs, MartCache(sqlite_hub.engine))
    counts = runner.write_marts(session)
    assert counts["household_features"] == 1200
    tools = runner.write_tools(session)
    assert tools["demand_by_agency_rows"] > 0 and tools["missing_whereabouts_rows"] > 0

    spec = SPECS["vulnerability"]
    runner.train(session, spec, rounds=30)
    folder = registry.artefact_dir(sqlite_hub, spec.name)
    for name in ("model_card.md", "atrs.json", "reliability.png", "score_distribution.png"):
        assert (folder / name).stat().st_size > 0, name
    card = (folder / "model_card.md").read_text()
    assert "SYNTHETIC" in card and "Fairness" in card and "Limitations" in card
    atrs = json.loads((folder / "atrs.json").read_text())
    assert atrs["tier_2"]["decision_making_process"]["advisory"] is True

    result = runner.score(session, spec)
    risk = sqlite_hub.lake.read_latest("marts", "risk_vulnerability").to_pandas()
    assert len(risk) == result["rows"] and (risk["model_version"] == 1).all()
    assert risk["advisory"].all() and risk["rank"].iloc[0] == 1
    assert set(risk["tier"]) <= {"very high", "high", "medium", "low"}
    assert json.loads(risk["factors"].iloc[0])  # the top of the list is explained
    with sqlite_hub.catalog.session() as db:
        assert db.query(DriftCheck).count() == 1


def test_missing_person_whereabouts_are_ranked_and_mappable(
        mini: tuple[object, Inputs]) -> None:
    engine, inputs = mini
    events = inputs.events.to_pandas()
    missing = events[events.event_type == "missing_episode"]
    person = missing.person_id.value_counts().index[0]
    found = whereabouts(engine, person)  # type: ignore[arg-type]
    places = found["places"]["features"]
    assert found["episodes"] == int((missing.person_id == person).sum())
    ranks = [p["properties"]["rank"] for p in places]
    assert ranks == sorted(ranks) and places[0]["geometry"]["type"] == "Point"
    assert sum(found["hours"]) == found["episodes"] and len(found["weekdays_sun_first"]) == 7
    with pytest.raises(NotFound):
        whereabouts(engine, "nobody")  # type: ignore[arg-type]
