"""Households and persons of one chunk, and how they change over the period.

Changes: births, deaths, moves to another address, partners separating (one leaves to a new
household at a new address) and surname change at marriage. Latent household factors
(parental substance misuse, mental health, domestic abuse history, deprivation) are drawn here;
life.py turns them into events.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from odahub.synth.geography import ADDRESSES_PER_OA, Geography
from odahub.synth.identifiers import (
    landlines,
    mobiles,
    nhs_numbers,
    ni_numbers,
    or_none,
    serial_ids,
    upns,
)
from odahub.synth.params import HOUSEHOLDS_PER_OA, PERIOD_DAYS
from odahub.synth.pools import Pools

ETHNICITY = np.asarray(["White", "Asian", "Black", "Mixed", "Other"], dtype=object)
ETHNICITY_P = np.asarray([0.84, 0.07, 0.04, 0.03, 0.02])
EMAIL_DOMAINS = np.asarray(["example.com", "example.co.uk", "mail.example.org"], dtype=object)
YEAR = 365.25
NONE = -1  # "no such day" in day columns (days are counted from the period start)


@dataclass
class Population:
    households: pd.DataFrame
    persons: pd.DataFrame


def sigmoid(x: np.ndarray) -> np.ndarray:
    result: np.ndarray = 1.0 / (1.0 + np.exp(-x))
    return result


def household_sizes(rng: np.random.Generator, persons: int) -> np.ndarray:
    """Sizes of households holding exactly `persons` persons (ONS-like size mix)."""
    p = np.asarray([0.29, 0.34, 0.15, 0.13, 0.06, 0.03])
    sizes = rng.choice(np.arange(1, 7), size=int(persons / 2.4) + 50, p=p)
    total = np.cumsum(sizes)
    while total[-1] < persons:  # pragma: no cover - the margin above makes this rare
        sizes = np.concatenate([sizes, rng.choice(np.arange(1, 7), size=100, p=p)])
        total = np.cumsum(sizes)
    keep = int(np.searchsorted(total, persons)) + 1
    sizes = sizes[:keep].copy()
    sizes[-1] -= int(total[keep - 1] - persons)
    return sizes[sizes > 0]


def build_population(rng: np.random.Generator, chunk: int, first_household: int,
                     sizes: np.ndarray, geo: Geography, pools: Pools, seed: int) -> Population:
    households, vacant = _households(rng, chunk, first_household, sizes, geo)
    persons = _persons(rng, households, sizes, pools)
    persons = _births(rng, chunk, households, persons, pools, seed)
    households, persons = _separations_and_moves(rng, chunk, households, persons, vacant)
    return Population(households.reset_index(drop=True), persons.reset_index(drop=True))


def _households(rng: np.random.Generator, chunk: int, first: int, sizes: np.ndarray,
                geo: Geography) -> tuple[pd.DataFrame, np.ndarray]:
    n = len(sizes)
    oa = (first + np.arange(n)) // HOUSEHOLDS_PER_OA
    deprivation = (5.5 - geo.oa_imd()[oa]) / 4.5
    adults = np.where(sizes == 1, 1, 2)
    lone = (sizes >= 2) & (rng.random(n) < 0.2 + 0.12 * deprivation)
    adults = np.where(lone, 1, adults)
    sharers = (sizes == 2) & (adults == 2) & (rng.random(n) < 0.25)
    substance = rng.random(n) < sigmoid(-2.6 + 1.3 * deprivation)
    mental = rng.random(n) < sigmoid(-2.0 + 0.8 * deprivation + 0.8 * substance)
    da_history = (rng.random(n) < sigmoid(-2.7 + 0.9 * deprivation + 1.0 * substance
                                          + 0.5 * mental)) & (sizes >= 2)
    slots, vacant = _address_slots(rng, oa)
    frame = pd.DataFrame({
        "household_id": serial_ids("SH", chunk, 0, n),
        "address0": slots, "adults": adults, "lone_parent": lone, "sharers": sharers,
        "imd_decile": geo.oa_imd()[oa], "deprivation": deprivation,
        "substance_misuse": substance, "mental_health": mental, "da_history": da_history,
        "hidden_risk": rng.normal(0, 1, n), "formed_day": np.zeros(n, dtype=np.int64),
        "move_day": np.full(n, NONE, dtype=np.int64),
        "address1": np.full(n, NONE, dtype=np.int64),
    })
    return frame, vacant


def _address_slots(rng: np.random.Generator, oa: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A distinct random address per household within its OA; the rest of the OA is vacant."""
    first_oa = int(oa.min())
    n_oa = int(oa.max()) - first_oa + 1
    permutation = np.argsort(rng.random((n_oa, ADDRESSES_PER_OA)), axis=1)
    position = np.arange(len(oa)) - np.searchsorted(oa, oa)
    local = oa - first_oa
    slots = (oa * ADDRESSES_PER_OA + permutation[local, position]).astype(np.int64)
    taken = np.zeros((n_oa, ADDRESSES_PER_OA), dtype=bool)
    taken[local, position] = True  # the first `count` columns of each permutation row
    rows, columns = np.nonzero(~taken)
    vacant = (first_oa + rows) * ADDRESSES_PER_OA + permutation[rows, columns]
    return slots, rng.permutation(vacant.astype(np.int64))


def _persons(rng: np.random.Generator, hh: pd.DataFrame, sizes: np.ndarray,
             pools: Pools) -> pd.DataFrame:
    total = int(sizes.sum())
    n_h = len(sizes)
    hidx = np.repeat(np.arange(n_h), sizes)
    position = np.arange(total) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    adults = hh["adults"].to_numpy()
    has_children = sizes > adults
    ref_age = np.where(has_children, rng.integers(20, 53, n_h),
                       np.clip(rng.normal(52, 19, n_h), 18, 96)).astype(int)
    sharer = hh["sharers"].to_numpy()[hidx]
    age = np.where(position == 0, ref_age[hidx],
                   np.clip(ref_age[hidx] + rng.normal(2, 3, total), 18, 99).astype(int))
    age = np.where(sharer, rng.integers(18, 41, total), age)
    child_max = np.minimum(17, ref_age[hidx] - 18)
    child = position >= adults[hidx]
    age = np.where(child, (rng.random(total) * (child_max + 1)).astype(int), age)
    couple = (adults[hidx] == 2) & ~sharer
    female = np.where(child | sharer | ((adults[hidx] == 1) & ~has_children[hidx]),
                      rng.random(total) < 0.5,
                      np.where(position == 0, rng.random(total) < 0.95,
                               rng.random(total) < 0.05))
    household_surname = pools.draw_surname(rng, n_h)[hidx]
    own_surname = pools.draw_surname(rng, total)
    unmarried = couple & (position == 0) & (rng.random(total) < 0.3)
    surname = np.where(unmarried | sharer & (position == 1), own_surname, household_surname)
    marries = unmarried & (rng.random(total) < 0.2)
    frame = pd.DataFrame({
        "hh0": hidx, "dob_day": (-(age * YEAR) - rng.integers(1, 365, total)).astype(np.int64),
        "female": female, "first_name": pools.draw_first(rng, female),
        "middle_name": or_none(rng.random(total) < 0.4, pools.draw_first(rng, female)),
        "surname": np.where(marries, household_surname, surname),
        "previous_surname": or_none(marries, own_surname),
        "surname_change_day": np.where(marries, rng.integers(30, PERIOD_DAYS - 30, total), NONE),
        "ethnicity": rng.choice(ETHNICITY, size=n_h, p=ETHNICITY_P)[hidx],
        "is_parent": (position < adults[hidx]) & has_children[hidx],
    })
    return frame


def _births(rng: np.random.Generator, chunk: int, hh: pd.DataFrame, persons: pd.DataFrame,
            pools: Pools, seed: int) -> pd.DataFrame:
    age = -persons["dob_day"].to_numpy() / YEAR
    mothers = np.flatnonzero(persons["female"].to_numpy() & (age >= 18) & (age <= 42)
                             & ~hh["sharers"].to_numpy()[persons["hh0"].to_numpy()]
                             & (rng.random(len(persons)) < 0.32))
    n = len(mothers)
    female = rng.random(n) < 0.49
    day = rng.integers(30, PERIOD_DAYS - 1, n)
    babies = pd.DataFrame({
        "hh0": persons["hh0"].to_numpy()[mothers], "dob_day": day, "female": female,
        "first_name": pools.draw_first(rng, female),
        "middle_name": or_none(rng.random(n) < 0.5, pools.draw_first(rng, female)),
        "surname": persons["surname"].to_numpy()[mothers], "previous_surname": None,
        "surname_change_day": NONE, "ethnicity": persons["ethnicity"].to_numpy()[mothers],
        "is_parent": False,
    })
    combined = pd.concat([persons, babies], ignore_index=True)
    return _identifiers(rng, chunk, combined, seed)


def _identifiers(rng: np.random.Generator, chunk: int, persons: pd.DataFrame,
                 seed: int) -> pd.DataFrame:
    n = len(persons)
    number = chunk * 1_000_000 + np.arange(n, dtype=np.int64)
    dob = persons["dob_day"].to_numpy()
    age_at_end = (PERIOD_DAYS - dob) / YEAR
    adult_at_start = -dob / YEAR >= 18
    persons["person_id"] = serial_ids("S", chunk, 0, n)
    persons["sex"] = np.where(persons["female"], "F", "M")
    persons["nhs_number"] = nhs_numbers(number, seed)
    persons["ni_number"] = or_none(age_at_end >= 16, ni_numbers(number, seed))
    has_mobile = np.where(adult_at_start, rng.random(n) < 0.85, (age_at_end >= 13)
                          & (rng.random(n) < 0.5))
    landline = landlines(persons["hh0"].to_numpy() + chunk * 1_000_000, seed)
    persons["phone"] = np.where(has_mobile, mobiles(number, seed),
                                or_none(rng.random(n) < 0.3, landline))
    local = (persons["first_name"].str.normalize("NFKD").str.encode("ascii", "ignore")
             .str.decode("ascii").str.lower() + "."
             + persons["surname"].str.normalize("NFKD").str.encode("ascii", "ignore")
             .str.decode("ascii").str.lower().str.replace("'", "")
             + pd.Series(rng.integers(1, 99, n)).astype(str))
    domain = EMAIL_DOMAINS[rng.integers(0, len(EMAIL_DOMAINS), n)]
    persons["email"] = np.where(adult_at_start & (rng.random(n) < 0.55),
                                local + "@" + domain, None)
    school_age_sometime = (age_at_end >= 4) & (-dob / YEAR <= 16)
    persons["upn"] = or_none(school_age_sometime, upns(number, seed))
    return persons


def _deaths(rng: np.random.Generator, persons: pd.DataFrame) -> np.ndarray:
    age = np.maximum(-persons["dob_day"].to_numpy() / YEAR, 0)
    hazard = np.exp(-10.5 + 0.095 * age)
    dies = rng.random(len(persons)) < 1 - np.exp(-hazard * PERIOD_DAYS / YEAR)
    dies &= age >= 18
    return np.where(dies, rng.integers(1, PERIOD_DAYS - 1, len(persons)), NONE)


def _separations_and_moves(rng: np.random.Generator, chunk: int, hh: pd.DataFrame,
                           persons: pd.DataFrame,
                           vacant: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    n_initial = len(hh)
    persons["death_day"] = _deaths(rng, persons)
    hh0 = persons["hh0"].to_numpy()
    couple = (hh["adults"].to_numpy() == 2) & ~hh["sharers"].to_numpy()
    p_split = 0.06 + 0.2 * hh["da_history"].to_numpy()
    splits = np.flatnonzero(couple & (rng.random(len(hh)) < p_split))[: len(vacant) // 3]
    split_day = rng.integers(60, PERIOD_DAYS - 60, len(splits))
    # The second adult of the couple leaves for a home of their own.
    adult_rank = persons.groupby("hh0").cumcount().to_numpy()
    leaver = np.flatnonzero(np.isin(hh0, splits) & (adult_rank == 1))
    new_index = n_initial + np.arange(len(splits))
    new = hh.iloc[splits].copy()
    new["household_id"] = serial_ids("SH", chunk, n_initial, len(splits))
    new["address0"] = vacant[: len(splits)]
    new["adults"] = 1
    new["lone_parent"] = False
    new["formed_day"] = split_day
    persons["hh1"] = hh0
    persons["hh_change_day"] = NONE
    order = np.searchsorted(splits, hh0[leaver])
    persons.loc[leaver, "hh1"] = new_index[order]
    persons.loc[leaver, "hh_change_day"] = split_day[order]
    households = pd.concat([hh, new], ignore_index=True)
    vacant = vacant[len(splits):]
    p_move = 0.2 + 0.08 * households["deprivation"].to_numpy()
    movers = np.flatnonzero((rng.random(len(households)) < p_move)
                            & (np.arange(len(households)) < n_initial))[: len(vacant)]
    households.loc[movers, "move_day"] = rng.integers(30, PERIOD_DAYS - 30, len(movers))
    households.loc[movers, "address1"] = vacant[: len(movers)]
    return households, persons
