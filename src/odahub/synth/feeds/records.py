"""Event rows joined to who, where and what was true on the day: the clean source records."""

from __future__ import annotations

import numpy as np
import pandas as pd

from odahub.synth.geography import Geography
from odahub.synth.identifiers import or_none
from odahub.synth.params import EPOCH
from odahub.synth.simulate import ChunkLife


def to_dates(days: np.ndarray) -> np.ndarray:
    return EPOCH + days.astype("timedelta64[D]")


def base_frame(life: ChunkLife, geo: Geography, rows: pd.DataFrame) -> pd.DataFrame:
    """One clean record per row of `rows` (columns person, day, household, attributes...)."""
    persons = life.population.persons
    hh = life.population.households
    lives = life.lives
    person = rows["person"].to_numpy()
    day = rows["day"].to_numpy()
    household = rows["household"].to_numpy()
    change = persons["surname_change_day"].to_numpy()[person]
    changed = (change >= 0) & (day >= change)
    before = (change >= 0) & (day < change)
    surname = persons["surname"].to_numpy()[person]
    previous = persons["previous_surname"].to_numpy()[person]
    address = lives.address_at(household, day)
    frame = pd.DataFrame({
        "person_id": persons["person_id"].to_numpy()[person],
        "household_id": hh["household_id"].to_numpy()[household],
        "first_name": persons["first_name"].to_numpy()[person],
        "middle_name": persons["middle_name"].to_numpy()[person],
        "surname": np.where(before, previous, surname),
        "old_surname": np.where(changed, previous, None),
        "dob": to_dates(persons["dob_day"].to_numpy()[person]),
        "sex": persons["sex"].to_numpy()[person],
        "nhs_number": persons["nhs_number"].to_numpy()[person],
        "ni_number": persons["ni_number"].to_numpy()[person],
        "phone": persons["phone"].to_numpy()[person],
        "email": persons["email"].to_numpy()[person],
        "upn": persons["upn"].to_numpy()[person],
        "ethnicity": persons["ethnicity"].to_numpy()[person],
        "date": to_dates(day),
        "day": day,
        "person": person,
        "household": household,
    })
    add_address(frame, geo, address, "")
    add_address(frame, geo, stale_address(life, person, household, day), "old_")
    for column in rows.columns:
        if column not in frame.columns:
            frame[column] = rows[column].to_numpy()
    if "event_id" not in rows.columns:
        frame["event_id"] = None
    return frame


def stale_address(life: ChunkLife, person: np.ndarray, household: np.ndarray,
                  day: np.ndarray) -> np.ndarray:
    """The address a person lived at before their current one, or -1 if none in the period."""
    lives = life.lives
    moved = day >= lives.move_day[household]
    previous = np.where(moved, lives.address0[household], -1)
    left = day >= lives.change[person]
    old_home = lives.address_at(lives.hh0[person], day)
    return np.where(previous >= 0, previous, np.where(left, old_home, -1))


def add_address(frame: pd.DataFrame, geo: Geography, address: np.ndarray, prefix: str) -> None:
    known = address >= 0
    safe = np.where(known, address, 0)
    postcode = Geography.postcode_of_address(safe)
    frame[prefix + "address"] = np.where(
        known, geo.address_line[safe] + ", " + geo.address_town[safe], None)
    frame[prefix + "postcode"] = np.where(known, geo.postcode[postcode], None)
    frame[prefix + "uprn"] = or_none(known, geo.address_uprn[safe])
    if not prefix:
        frame["oa_code"] = geo.oa_code[Geography.oa_of_address(safe)]
