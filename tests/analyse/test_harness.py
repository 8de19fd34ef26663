"""The harness's rolling origins and the young child's home history (no future, right counts)."""

from __future__ import annotations

from datetime import date, timedelta

import pyarrow as pa
import pyarrow.compute as pc

from odahub.analyse import marts
from odahub.analyse.evaluate import MIN_HISTORY_DAYS, splits
from odahub.analyse.relations import Inputs
from odahub.engine.duck import DuckDBEngine

AS_OF = date(2024, 6, 30)


def test_as_many_folds_as_the_history_allows() -> None:
    start, end = date(2020, 1, 1), date(2025, 12, 31)
    every = splits(start, end, 365, folds=None)
    assert len(every) == 3 and every == splits(start, end, 365, folds=10)
    assert splits(start, end, 365, folds=2) == every[:2]
    for split in every:  # each fold trains before it calibrates, and calibrates before it tests
        assert max(split.train) + timedelta(days=365) <= split.calibrate
        assert split.calibrate + timedelta(days=365) <= split.test
        assert min(split.train) >= start + timedelta(days=MIN_HISTORY_DAYS)
    tests = [s.test for s in every]
    assert all((a - b).days >= 365 for a, b in zip(tests, tests[1:], strict=False))


def _home(engine: DuckDBEngine) -> dict[str, dict[str, float]]:
    table = engine.sql(marts.child_home_sql(AS_OF)).to_pandas().set_index("person_id")
    return {str(k): v for k, v in table.to_dict(orient="index").items()}


def test_child_home_history_counts_the_home_since_birth(
        mini: tuple[DuckDBEngine, Inputs]) -> None:
    engine, inputs = mini
    persons = inputs.persons.to_pandas()
    young = persons[(persons["birth_date"] <= AS_OF)
                    & (persons["birth_date"] > AS_OF - timedelta(days=marts.EARLY_YEARS))]
    home = _home(engine)
    assert set(home) <= set(young["person_id"].astype(str))
    # One child, by hand: DA incidents (distinct days) of everyone in its household since birth.
    events = inputs.events.to_pandas()
    da = events[(events["event_type"] == "domestic_abuse") & (events["event_date"] <= AS_OF)]
    exposed = 0
    for _, child in young.head(200).iterrows():
        mates = persons.loc[persons["household_id"] == child["household_id"], "person_id"]
        seen = da[da["person_id"].isin(mates) & (da["event_date"] >= child["birth_date"])]
        got = home.get(str(child["person_id"]), {}).get("home_da_since_birth", 0)
        assert got == seen["event_date"].nunique(), child["person_id"]
        exposed += got > 0
    assert exposed > 0  # the check is not vacuous


def test_child_home_history_sees_nothing_after_the_date(
        mini: tuple[DuckDBEngine, Inputs]) -> None:
    engine, inputs = mini
    before = _home(engine)
    dates = inputs.events.column("event_date")
    future = inputs.events.filter(pc.greater(dates, pa.scalar(AS_OF, pa.date32())))
    engine.register("an_events", pa.concat_tables([inputs.events, future, future]))
    assert _home(engine) == before
