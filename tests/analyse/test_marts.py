"""Marts as of a date: correct counts, and no feature sees anything recorded after the date."""

from __future__ import annotations

from datetime import date, timedelta

import pyarrow as pa
import pyarrow.compute as pc
from pandas.testing import assert_frame_equal

from odahub.analyse import marts
from odahub.analyse.relations import Inputs
from odahub.engine.duck import DuckDBEngine

AS_OF = date(2023, 6, 30)


def test_counts_match_the_events(mini: tuple[DuckDBEngine, Inputs]) -> None:
    engine, inputs = mini
    person = marts.build(engine, AS_OF)["person_features"].to_pandas().set_index("person_id")
    events = inputs.events.to_pandas()
    window = events[(events.event_type == "domestic_abuse")
                    & (events.event_date <= AS_OF)
                    & (events.event_date > AS_OF - timedelta(days=365))]
    expected = window.groupby("person_id").size()
    expected = expected[expected.index.isin(person.index)]  # the unborn are not in the mart
    got = person.loc[expected.index, "domestic_abuse_12m"]
    assert (got.to_numpy() == expected.to_numpy()).all(), (got, expected)
    assert (person.drop(expected.index)["domestic_abuse_12m"] == 0).all()


def test_households_sum_their_members(mini: tuple[DuckDBEngine, Inputs]) -> None:
    engine, _ = mini
    built = marts.build(engine, AS_OF)
    person = built["person_features"].to_pandas()
    household = built["household_features"].to_pandas().set_index("household_id")
    summed = person.groupby("household_id")["crime_36m"].sum()
    assert (household.loc[summed.index, "crime_36m"] == summed).all()
    sizes = person.groupby("household_id").size()
    assert (household.loc[sizes.index, "members"] == sizes).all()


def test_no_feature_sees_the_future(mini: tuple[DuckDBEngine, Inputs]) -> None:
    """Leakage test: adding, removing or changing events after D leaves every mart unchanged."""
    engine, inputs = mini
    before = marts.build(engine, AS_OF)
    for table in before.values():
        for column in ("last_contact", "first_contact"):
            if column in table.column_names:
                latest = pc.max(table.column(column)).as_py()
                assert latest is None or latest <= AS_OF, (column, latest)
    dates = inputs.events.column("event_date")
    past = inputs.events.filter(pc.less_equal(dates, pa.scalar(AS_OF, pa.date32())))
    future = inputs.events.filter(pc.greater(dates, pa.scalar(AS_OF, pa.date32())))
    reverse = pa.array(range(future.num_rows - 1, -1, -1))
    shuffled = future.set_column(  # future events moved onto other people
        future.column_names.index("person_id"), "person_id",
        future.column("person_id").take(reverse))
    for variant in (past, pa.concat_tables([past, shuffled, shuffled])):
        engine.register("an_events", variant)
        after = marts.build(engine, AS_OF)
        for name, table in before.items():
            key = table.column_names[0]
            # float sums may differ in the last bit with DuckDB's parallel aggregation order
            assert_frame_equal(after[name].sort_by(key).to_pandas(),
                               table.sort_by(key).to_pandas(), check_exact=False, rtol=1e-9)
    engine.register("an_events", inputs.events)


def test_decayed_history_weighs_old_events_less(mini: tuple[DuckDBEngine, Inputs]) -> None:
    engine, _ = mini
    person = marts.build(engine, AS_OF)["person_features"].to_pandas()
    assert (person["asb_decayed"] <= person["asb_36m"] + person["asb_12m"] + 50).all()
    old_only = person[(person["asb_12m"] == 0) & (person["asb_36m"] > 0)]
    assert (old_only["asb_decayed"] < old_only["asb_36m"]).all()
