"""Who lives where and when, as arrays: the base that life-event generators draw on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from odahub.synth.params import PERIOD_DAYS
from odahub.synth.population import NONE, YEAR, Population

if TYPE_CHECKING:
    from odahub.synth.dynamics import Dynamics


@dataclass
class Lives:
    """Vectorised views of one chunk's population for event generation."""

    population: Population
    dob: np.ndarray
    end: np.ndarray          # last day in the county (death or period end)
    female: np.ndarray
    hh0: np.ndarray
    hh1: np.ndarray
    change: np.ndarray       # day the person changed household (PERIOD_DAYS if never)
    risk: np.ndarray         # per household: the latent risk score
    factors: pd.DataFrame    # per household factors (numeric)
    move_day: np.ndarray     # per household (PERIOD_DAYS if it never moved)
    address0: np.ndarray
    address1: np.ndarray
    dynamics: Dynamics | None = None  # time-varying latent risk, set by simulate

    @property
    def dyn(self) -> Dynamics:
        assert self.dynamics is not None, "dynamics are built before events are drawn"
        return self.dynamics

    @classmethod
    def of(cls, population: Population) -> Lives:
        persons = population.persons
        hh = population.households
        death = persons["death_day"].to_numpy()
        change = persons["hh_change_day"].to_numpy()
        factors = pd.DataFrame({
            "sub": hh["substance_misuse"].to_numpy(dtype=float),
            "mh": hh["mental_health"].to_numpy(dtype=float),
            "da": hh["da_history"].to_numpy(dtype=float),
            "dep": hh["deprivation"].to_numpy(dtype=float),
            "hidden": hh["hidden_risk"].to_numpy(dtype=float),
            "lone": hh["lone_parent"].to_numpy(dtype=float),
        })
        risk = (1.0 * factors["sub"] + 0.8 * factors["mh"] + 1.2 * factors["da"]
                + 0.6 * factors["dep"] + 0.5 * factors["hidden"]).to_numpy()
        return cls(
            population=population, dob=persons["dob_day"].to_numpy(),
            end=np.where(death == NONE, PERIOD_DAYS, death), female=persons["female"].to_numpy(),
            hh0=persons["hh0"].to_numpy(), hh1=persons["hh1"].to_numpy(),
            change=np.where(change == NONE, PERIOD_DAYS, change), risk=risk, factors=factors,
            move_day=np.where(hh["move_day"] == NONE, PERIOD_DAYS, hh["move_day"]),
            address0=hh["address0"].to_numpy(), address1=hh["address1"].to_numpy())

    def household_at(self, person: np.ndarray, day: np.ndarray) -> np.ndarray:
        result: np.ndarray = np.where(day >= self.change[person], self.hh1[person],
                                      self.hh0[person])
        return result

    def address_at(self, household: np.ndarray, day: np.ndarray) -> np.ndarray:
        """The address (global index) a household lives at on a day."""
        result: np.ndarray = np.where(day >= self.move_day[household],
                                      self.address1[household], self.address0[household])
        return result

    def age_at(self, person: np.ndarray, day: np.ndarray) -> np.ndarray:
        result: np.ndarray = (day - self.dob[person]) / YEAR
        return result

    def person_factor(self, name: str, person: np.ndarray) -> np.ndarray:
        """A household factor seen from each person (their first household's)."""
        values: np.ndarray = self.factors[name].to_numpy()[self.hh0[person]]
        return values

    def age_window(self, min_age: float, max_age: float) -> tuple[np.ndarray, np.ndarray]:
        """Per person, the days in the period when they are alive and aged in [min, max)."""
        lo = np.maximum(0, self.dob + int(np.ceil(min_age * YEAR)))
        hi = np.minimum(self.end, self.dob + int(max_age * YEAR))
        return lo, np.maximum(hi, lo)

    def members(self) -> pd.DataFrame:
        """(household, person, from_day, to_day): each spell of a person in a household."""
        n = len(self.dob)
        person = np.arange(n)
        start = np.maximum(self.dob, 0)
        first = pd.DataFrame({"household": self.hh0, "person": person, "from_day": start,
                              "to_day": np.minimum(self.change, self.end)})
        moved = self.change < PERIOD_DAYS
        second = pd.DataFrame({"household": self.hh1[moved], "person": person[moved],
                               "from_day": self.change[moved], "to_day": self.end[moved]})
        spells = pd.concat([first, second], ignore_index=True)
        return spells[spells["to_day"] > spells["from_day"]]


def poisson_days(rng: np.random.Generator, owner: np.ndarray, rate: np.ndarray,
                 lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Events of a Poisson process per owner over [lo, hi): (owner, day) of each event."""
    span = np.maximum(hi - lo, 0)
    counts = rng.poisson(rate * span / YEAR)
    owners = np.repeat(owner, counts)
    days = np.repeat(lo, counts) + (rng.random(int(counts.sum())) * np.repeat(span, counts))
    return owners, days.astype(np.int64)


def present(lives: Lives, household: np.ndarray, day: np.ndarray, event: np.ndarray,
            min_age: float = 0, max_age: float = 200) -> pd.DataFrame:
    """(event, person) for every member of `household` present on `day` and of the age."""
    spells = lives.members()
    frame = pd.DataFrame({"event": event, "household": household, "day": day})
    joined = frame.merge(spells, on="household", how="inner", sort=False)
    age = (joined["day"].to_numpy() - lives.dob[joined["person"].to_numpy()]) / YEAR
    keep = ((joined["day"] >= joined["from_day"]) & (joined["day"] < joined["to_day"])
            & (age >= min_age) & (age < max_age))
    return joined.loc[keep, ["event", "person"]].sort_values(["event", "person"],
                                                             kind="stable")


def pick(rng: np.random.Generator, choices: tuple[str, ...], size: int,
         p: list[float] | None = None) -> np.ndarray:
    return rng.choice(np.asarray(choices, dtype=object), size=size, p=p)
