"""A tiny county built directly in the canonical relations, with planted signal.

Unit tests of the harness use it (fast, independent of the other stages); the `county` fixture's
truth and the `pipeline_hub` lake test the adapters end to end.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa

from odahub.analyse.relations import Inputs
from odahub.model import load_model

START, END = np.datetime64("2020-01-01"), np.datetime64("2025-12-31")
DAYS = int((END - START).astype(int)) + 1
RATES = {"crime": -2.2, "asb": -2.0, "domestic_abuse": -2.0, "cin_referral": -2.8,
         "cp_plan": -3.5, "substance_misuse": -3.0, "ae_attendance": -1.6, "mental_health": -2.6,
         "homelessness": -3.5, "school_attendance": -1.0, "exclusion": -3.2, "fire_incident": -4.0}


def make(households: int = 600, seed: int = 3, areas: int = 40) -> Inputs:
    rng = np.random.default_rng(seed)
    imd = rng.integers(1, 11, areas)
    oa_of = rng.integers(0, areas, households)
    risk = rng.normal(0, 1, households) - 0.25 * (imd[oa_of] - 5.5) / 2.9
    size = rng.integers(1, 6, households)
    hh = np.repeat(np.arange(households), size)
    first = np.r_[0, np.cumsum(size)[:-1]]
    slot = np.arange(hh.size) - first[hh]
    ages = np.where(slot < 2, rng.uniform(20, 60, hh.size), rng.uniform(0, 18, hh.size))
    birth = END - (ages * 365.25).astype("timedelta64[D]")
    persons = pa.table({
        "person_id": [f"S{i:06d}" for i in range(hh.size)],
        "household_id": [f"HH{h:05d}" for h in hh],
        "birth_date": birth.astype("datetime64[D]"),
        "sex": rng.choice(["F", "M"], hh.size),
        "ethnicity": rng.choice(["White", "Asian", "Black", "Mixed", "Other"], hh.size,
                                p=[0.8, 0.08, 0.05, 0.04, 0.03]),
        "oa_code": [f"E{o:08d}" for o in oa_of[hh]]})
    events = _events(rng, risk, hh, persons, oa_of, birth)
    area_table = pa.table({"oa_code": [f"E{o:08d}" for o in range(areas)],
                           "lsoa_code": [f"L{o // 5:04d}" for o in range(areas)],
                           "ward_code": [f"W{o // 20:02d}" for o in range(areas)],
                           "imd_decile": imd.astype("int32"),
                           "latitude": 51.5 + rng.uniform(0, 0.2, areas),
                           "longitude": 0.4 + rng.uniform(0, 0.3, areas)})
    members = pa.table({"household_id": persons["household_id"], "person_id": persons["person_id"],
                        "valid_from": pa.nulls(hh.size, pa.date32()),
                        "valid_to": pa.nulls(hh.size, pa.date32())})
    return Inputs(events=events, persons=persons, members=members, areas=area_table,
                  source="minicounty")


def _events(rng: np.random.Generator, risk: np.ndarray, hh: np.ndarray, persons: pa.Table,
            oa_of: np.ndarray, birth: np.ndarray) -> pa.Table:
    agency = {k: v.agency for k, v in load_model().events.items()}
    cols: dict[str, list[np.ndarray]] = {
        k: [] for k in ("p", "t", "d", "dash", "ready", "found", "hour")}
    # Risk drifts over time within a household, so recent events predict better than old ones.
    for kind, base in RATES.items():
        n = rng.poisson(np.exp(base + 0.9 * risk) * 6)
        hidx = np.repeat(np.arange(risk.size), n)
        member = np.array([rng.choice(np.flatnonzero(hh == h)) for h in hidx], dtype=int)
        day = rng.integers(0, DAYS, hidx.size)
        cols["p"].append(member)
        cols["t"].append(np.full(hidx.size, kind))
        cols["d"].append(START + day.astype("timedelta64[D]"))
        grade = np.where(rng.random(hidx.size) < 1 / (1 + np.exp(-(risk[hidx] - 1.5))), "high",
                         np.where(rng.random(hidx.size) < 0.5, "medium", "standard"))
        cols["dash"].append(np.where(kind == "domestic_abuse", grade, None))
        cols["ready"].append(np.full(hidx.size, None))
        cols["found"].append(np.full(hidx.size, None))
        cols["hour"].append(np.full(hidx.size, None))
    kids = np.flatnonzero((birth > START - np.timedelta64(5 * 365, "D"))
                          & (birth < END - np.timedelta64(5 * 365, "D")))
    ready = rng.random(kids.size) > 1 / (1 + np.exp(-(-1.2 + 1.2 * risk[hh[kids]])))
    cols["p"].append(kids)
    cols["t"].append(np.full(kids.size, "early_years"))
    cols["d"].append(birth[kids] + np.timedelta64(int(5.2 * 365), "D"))
    cols["dash"].append(np.full(kids.size, None))
    cols["ready"].append(ready)
    cols["found"].append(np.full(kids.size, None))
    cols["hour"].append(np.full(kids.size, None))
    _missing(rng, risk, hh, birth, cols)
    person = np.concatenate(cols["p"])
    kinds = np.concatenate(cols["t"])
    oa = [f"E{o:08d}" for o in oa_of[hh[person]]]
    return pa.table({
        "person_id": persons["person_id"].take(pa.array(person)),
        "household_id": persons["household_id"].take(pa.array(person)),
        "dataset": pa.array([f"{k}_feed" for k in kinds]),
        "record_id": pa.array([f"R{i}" for i in range(person.size)]),
        "agency": pa.array([agency[k] for k in kinds]),
        "event_type": pa.array(kinds),
        "event_date": pa.array(np.concatenate(cols["d"]).astype("datetime64[D]")),
        "oa_code": pa.array(oa),
        "dash_risk": pa.array(np.concatenate(cols["dash"]), pa.string()),
        "school_ready": pa.array(np.concatenate(cols["ready"]), pa.bool_()),
        "found_oa": pa.array(np.concatenate(cols["found"]), pa.string()),
        "found_hour": pa.array(np.concatenate(cols["hour"]), pa.int32())})


def _missing(rng: np.random.Generator, risk: np.ndarray, hh: np.ndarray, birth: np.ndarray,
             cols: dict[str, list[np.ndarray]]) -> None:
    """Adolescents in risky households go missing; half are found at one of three hotspots."""
    teens = np.flatnonzero((birth < END - np.timedelta64(10 * 365, "D"))
                           & (birth > END - np.timedelta64(18 * 365, "D")))
    n = rng.poisson(np.exp(-1.5 + 1.2 * risk[hh[teens]]))
    who = np.repeat(teens, n)
    found = np.where(rng.random(who.size) < 0.5, rng.choice([1, 2, 3], who.size),
                     rng.integers(0, 40, who.size))
    cols["p"].append(who)
    cols["t"].append(np.full(who.size, "missing_episode"))
    cols["d"].append(START + rng.integers(0, DAYS, who.size).astype("timedelta64[D]"))
    cols["dash"].append(np.full(who.size, None))
    cols["ready"].append(np.full(who.size, None))
    cols["found"].append(np.array([f"E{o:08d}" for o in found], dtype=object))
    cols["hour"].append(rng.choice([21, 22, 23, 2], who.size))


def as_of_default() -> date:
    return date(2024, 12, 31)
