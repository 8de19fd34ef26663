"""Domestic-abuse features from linked data, on the synthetic county's truth: the perpetrator's
role and violence follow the linked person, and a separation shows on both households."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from odahub.analyse import marts
from odahub.analyse.frames import simple_columns
from odahub.analyse.inputs import from_truth
from odahub.engine.duck import DuckDBEngine

AS_OF = date(2024, 6, 30)


def _built(county: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    engine = DuckDBEngine()
    inputs = from_truth(county, engine)
    inputs.register(engine)
    built = marts.build(engine, AS_OF)
    events = inputs.events.to_pandas()
    engine.close()
    return (built["person_features"].to_pandas(), built["household_features"].to_pandas(),
            events)


def test_role_and_violence_follow_the_person(county: Path) -> None:
    person, _, events = _built(county)
    seen = events[pd.to_datetime(events["event_date"]) <= pd.Timestamp(AS_OF)]
    perpetrators = seen.loc[(seen["event_type"] == "domestic_abuse")
                            & (seen["role_in_incident"] == "perpetrator"), "person_id"]
    violent = seen.loc[(seen["event_type"] == "crime")
                       & (seen["offence_group"] == "Violence against the person"), "person_id"]
    indexed = person.set_index("person_id")
    for ids, column in ((perpetrators, "da_perpetrator_decayed"),
                        (violent, "violent_crime_decayed")):
        has = indexed.index.isin(set(ids))
        assert len(ids) > 0
        assert (indexed.loc[has, column] > 0).all()
        assert (indexed.loc[~has, column] == 0).all()


def test_a_separation_shows_on_both_households(county: Path) -> None:
    persons = pd.read_parquet(county / "truth" / "persons.parquet")
    changed = pd.to_datetime(persons["household_change_date"])
    recent = persons[(changed <= pd.Timestamp(AS_OF))
                     & (changed > pd.Timestamp(AS_OF) - pd.Timedelta(days=365))]
    _, household, _ = _built(county)
    indexed = household.set_index("household_id")
    left = indexed.reindex(recent["first_household_id"].unique())["members_left_12m"]
    joined = indexed.reindex(recent["household_id"].unique())["members_joined_12m"]
    assert len(recent) > 0
    assert (left.dropna() >= 1).all() and (joined.dropna() >= 1).all()
    assert np.isfinite(indexed["separation_days_since"]).all()


def test_the_plain_baseline_does_not_see_the_engineered_da_features(county: Path) -> None:
    _, household, _ = _built(county)
    simple = set(simple_columns(household))
    engineered = {"da_perpetrator_decayed", "violent_crime_decayed", "dash_rise", "da_gap_days",
                  "da_elsewhere_decayed", "members_left_12m", "separation_days_since",
                  "violence_x_da_recent"}
    assert engineered <= set(household.columns)
    assert not simple & engineered
