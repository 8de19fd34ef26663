"""The lake adapter reads the zones exactly as the contracts describe them."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from typer.testing import CliRunner

from odahub.analyse.inputs import from_lake
from odahub.cli import app
from odahub.hub import Hub
from tests.analyse import minicounty


def write(hub: Hub, zone: str, name: str, table: pa.Table) -> None:
    with hub.lake.new_version(zone, name) as writer:
        writer.write_table(table)


def seed_lake(hub: Hub) -> pa.Table:
    """Pseudonymised records + links as privacy and link write them (tokens stand in for ids)."""
    county = minicounty.make(households=80, areas=6)
    events = county.events
    persons = county.persons.to_pandas().set_index("person_id")
    people = events.column("person_id").to_pylist()
    birth = persons.loc[people, "birth_date"]
    records = pa.table({
        "dataset": events["dataset"], "record_id": events["record_id"],
        "event_type": events["event_type"], "event_date": events["event_date"],
        "first_name": pa.array([f"tok{i % 97:062x}" for i in range(events.num_rows)]),
        "sex": pa.array(persons.loc[people, "sex"].tolist()),
        "birth_year": pa.array([d.year for d in birth]), "birth_month": pa.array(
            [d.month for d in birth]), "oa_code": events["oa_code"],
        "dash_risk": events["dash_risk"], "school_ready": events["school_ready"],
        "found_oa": events["found_oa"], "found_hour": events["found_hour"]})
    for dataset in ("domestic_abuse_feed", "crime_feed", "missing_episode_feed"):
        write(hub, "pseudonymised", dataset,
              records.filter(pc.equal(records["dataset"], dataset)))
    write(hub, "linked", "links", pa.table({
        "dataset": events["dataset"], "record_id": events["record_id"],
        "person_id": pc.binary_join_element_wise("P-", events["person_id"], ""),
        "household_id": pc.binary_join_element_wise("H-", events["household_id"], ""),
        "match_probability": pa.repeat(0.99, events.num_rows)}))
    write(hub, "reference", "output_areas", county.areas.rename_columns(
        [{"latitude": "centroid_latitude", "longitude": "centroid_longitude"}.get(c, c)
         for c in county.areas.column_names]))
    return events


def test_lake_adapter_gives_the_canonical_relations(sqlite_hub: Hub) -> None:
    events = seed_lake(sqlite_hub)
    inputs = from_lake(sqlite_hub)
    kept = events.filter(pc.is_in(events["dataset"], pa.array(
        ["domestic_abuse_feed", "crime_feed", "missing_episode_feed"])))
    assert inputs.events.num_rows == kept.num_rows
    assert set(inputs.events["agency"].to_pylist()) == {"police"}
    assert all(p.startswith("P-") for p in inputs.persons["person_id"].to_pylist())
    assert inputs.areas["latitude"].null_count == 0
    high = pc.sum(pc.equal(inputs.events["dash_risk"], "high")).as_py()
    assert high == pc.sum(pc.equal(kept["dash_risk"], "high")).as_py()


def test_cli_builds_marts_and_finds_missing_persons(sqlite_hub: Hub,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    seed_lake(sqlite_hub)
    monkeypatch.setenv("ODAHUB_HOME", str(sqlite_hub.settings.home))
    monkeypatch.delenv("ODAHUB_DATABASE_URL", raising=False)
    runner = CliRunner()
    result = runner.invoke(app, ["analyse", "marts", "--json"])
    assert result.exit_code == 0, result.output
    counts = json.loads(result.stdout)
    assert counts["person_features"] > 0 and counts["missing_whereabouts_rows"] > 0
    found = sqlite_hub.lake.read_latest("marts", "missing_whereabouts")
    person = found["person_id"][0].as_py()
    result = runner.invoke(app, ["analyse", "missing", person, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["places"]["type"] == "FeatureCollection"
    result = runner.invoke(app, ["analyse", "missing", "P-nobody"])
    assert result.exit_code != 0
    assert Path(os.environ["ODAHUB_HOME"]).exists()
