"""Person linkage over the identified zone, scored against FEBRL's truth."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from odahub.hub import Hub
from odahub.link import model as link_model
from odahub.link import outputs
from odahub.link.evaluate import evaluate
from odahub.link.explain import explain
from odahub.link.run import link
from tests.conftest import make_hub
from tests.link.febrl import febrl_identified, write_identified


def test_links_are_precise_and_complete_against_truth(linked_hub: Hub,
                                                      febrl_truth_table: pa.Table) -> None:
    scores = evaluate(linked_hub.engine, outputs.read(linked_hub, "links"), febrl_truth_table)
    assert scores["pairwise"]["precision"] >= 0.98, scores
    assert scores["pairwise"]["recall"] >= 0.95, scores
    assert scores["records"] == febrl_truth_table.num_rows


def test_links_follow_the_contract_and_hold_no_identifiers(linked_hub: Hub) -> None:
    links = linked_hub.lake.read_latest("linked", "links")
    assert links.schema.names == ["dataset", "record_id", "person_id", "household_id",
                                  "match_probability"]
    assert pc.all(pc.starts_with(links["person_id"], "P-")).as_py()
    assert pc.all(pc.starts_with(links["household_id"], "H-")).as_py()
    identified = linked_hub.lake.read_latest("identified", "febrl3")
    secrets = {v for c in ("first_name", "last_name", "other_id", "address")
               for v in identified[c].to_pylist() if v}
    for name in linked_hub.lake.tables("linked"):
        table = linked_hub.lake.read_latest("linked", name)
        for column in table.schema.names:
            if pa.types.is_string(table.schema.field(column).type):
                values = set(table[column].to_pylist())
                assert not values & secrets, (name, column, list(values & secrets)[:3])


def test_threshold_and_review_band_come_from_the_model(linked_hub: Hub) -> None:
    model = link_model.require_latest(linked_hub.catalog)
    assert 0.5 <= model.threshold < 1
    assert model.review_low < model.threshold < model.review_high
    assert model.details and model.details["expected_precision"] > 0.9
    comparisons = [c["output_column_name"] for c in model.settings["comparisons"]]
    assert comparisons == ["first_name", "last_name", "date_of_birth", "address", "other_id"]


def _a_true_pair(truth: pa.Table) -> tuple[str, str]:
    rows = sorted(truth.to_pylist(), key=lambda r: (r["person_id"], r["record_id"]))
    for first, second in zip(rows, rows[1:], strict=False):
        if first["person_id"] == second["person_id"]:
            return f"febrl3:{first['record_id']}", f"febrl3:{second['record_id']}"
    raise AssertionError("no duplicate in the subset")


def test_explain_gives_a_waterfall_summing_to_the_match_weight(
        linked_hub: Hub, febrl_truth_table: pa.Table) -> None:
    result = explain(linked_hub, *_a_true_pair(febrl_truth_table))
    total = result["prior_match_weight"] + sum(
        s["match_weight"] + (s["tf_adjustment"] or 0) for s in result["comparisons"])
    assert abs(total - result["match_weight"]) < 0.05, result
    assert result["linked"]
    assert all("left" not in s for s in result["comparisons"])
    shown = explain(linked_hub, "febrl3:rec-10-org", "febrl3:rec-20-org", show_values=True)
    assert not shown["linked"]
    assert "left" in shown["comparisons"][0]


def test_training_keeps_splinks_warnings_with_the_model_instead_of_printing_them(
        tmp_path: Path, febrl_frame: pd.DataFrame, caplog: pytest.LogCaptureFixture) -> None:
    hub = make_hub(tmp_path / "home")
    table = febrl_identified(febrl_frame, "febrl3")
    # no NHS number trains its levels: the identifier appears on one record in fifty
    table = table.append_column("nhs_number", pa.array(
        ["9434765919" if i % 50 == 0 else None for i in range(table.num_rows)], pa.string()))
    write_identified(hub, table, "febrl3")
    caplog.set_level(logging.INFO)
    link(hub)
    # nothing reaches the root logger (whose last-resort handler prints to stderr)
    assert not [r for r in caplog.records if r.name.startswith("splink")]
    model = link_model.require_latest(hub.catalog)
    untrained = (model.details or {})["untrained_levels"]
    assert untrained and all(": " in level for level in untrained)
    names = {c["output_column_name"] for c in model.settings["comparisons"]}
    assert {level.split(": ")[0] for level in untrained} <= names
    hub.close()
