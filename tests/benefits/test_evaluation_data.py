"""The evaluation table built from events: from plain tables and from the lake's zones."""

from __future__ import annotations

from datetime import date

import pyarrow as pa

from odahub.benefits.evaluation import evaluate
from odahub.benefits.evaluation_data import covariates_of, evaluation_table
from odahub.benefits.interventions import (
    InterventionRecord,
    interventions,
    lake_tables,
    record_intervention,
    update_compliance,
)
from odahub.engine.duck import DuckDBEngine
from tests.benefits.simulate import cohort_events, simulate_cohort

OUTCOMES = ["asb", "offending", "domestic_abuse"]


def test_evaluation_table_counts_events_either_side_of_the_index_date() -> None:
    cohort = simulate_cohort(n=1500, effect=0.3, seed=11)
    events, starts = cohort_events(cohort)
    engine = DuckDBEngine()
    table = evaluation_table(engine, pa.Table.from_pandas(events, preserve_index=False),
                             pa.Table.from_pandas(starts, preserve_index=False),
                             pa.table({"unit_id": cohort["unit_id"]}))
    table = table.set_index("unit_id").loc[cohort["unit_id"]]
    assert (table["asb_pre"].to_numpy() == cohort["asb_pre"].to_numpy()).all()
    assert (table["offending_post"].to_numpy() == cohort["offending_post"].to_numpy()).all()
    assert table["treated"].sum() == cohort["treated"].sum()
    result = evaluate(table.reset_index(), covariates_of(table), OUTCOMES,
                      include_pre_outcomes=False, bootstrap=60, seed=3)
    low, high = result.effect("asb").relative_ci
    assert low <= -0.3 <= high and result.effect("asb").naive_relative < -0.35


def test_lake_events_and_recorded_interventions_feed_the_evaluation(sqlite_hub) -> None:  # type: ignore[no-untyped-def]
    hub = sqlite_hub
    cohort = simulate_cohort(n=600, effect=0.3, seed=12)
    events, starts = cohort_events(cohort)
    events["record_id"] = [f"R{i}" for i in range(len(events))]
    events["dataset"] = "police_incidents"
    with hub.lake.new_version("pseudonymised", "police_incidents") as writer:
        writer.write_table(pa.Table.from_pandas(
            events[["dataset", "record_id", "event_type", "event_date"]], preserve_index=False))
    linked = events.assign(person_id="P-" + events["unit_id"], household_id="H-1",
                           match_probability=1.0)
    links = pa.Table.from_pandas(linked[["dataset", "record_id", "person_id", "household_id",
                                         "match_probability"]], preserve_index=False)
    with hub.lake.new_version("linked", "links") as writer:
        writer.write_table(links)
    for unit in starts["unit_id"]:
        record_intervention(hub, InterventionRecord(
            programme="pre-trial diversion", agency="Police", subject_kind="person",
            subject_id=f"P-{unit}", start_date=date(2021, 6, 1),
            conditions=["attend a victim awareness course", "no further offending"]))
    first = interventions(hub, "pre-trial diversion")[0]
    update_compliance(hub, first.id or 0, "breached", "missed the course")
    assert interventions(hub)[0].compliance == "breached"
    ev, iv, units = lake_tables(hub, "person", programme="pre-trial diversion")
    table = evaluation_table(hub.engine, ev, iv, units)
    assert table["treated"].sum() == cohort["treated"].sum()
    assert table["asb_pre"].sum() == cohort["asb_pre"].sum()
