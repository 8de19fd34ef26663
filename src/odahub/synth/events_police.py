"""Police-recorded events: crime, ASB, missing episodes, and probation orders that follow
charges (domestic abuse: synth/events_da.py). Rates rise with the latent household factors."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from odahub.synth.dynamics import age_curve, child_steps, per_household, poisson_steps
from odahub.synth.geography import ADDRESSES_PER_OA
from odahub.synth.lives import Lives, pick, poisson_days
from odahub.synth.params import PERIOD_DAYS, STEPS

OFFENCES = ("Violence against the person", "Theft", "Criminal damage", "Drug offences",
            "Public order", "Burglary", "Vehicle offences")
CRIME_OUTCOMES = ("Charged", "No further action", "Community resolution", "Caution",
                  "Under investigation")
ASB_CATEGORIES = ("Rowdy behaviour", "Neighbour dispute", "Vehicle nuisance", "Street drinking",
                  "Noise")
FOUND_PLACES = ("Friend's address", "Town centre", "Park", "Railway station",
                "Relative's address", "Shopping centre", "Bus station")
ORDERS = ("Community Order", "Suspended Sentence Order", "Licence")


def events(event_type: str, person: np.ndarray, day: np.ndarray, **attributes: object
           ) -> pd.DataFrame:
    frame = pd.DataFrame({"person": person, "day": day, "event_type": event_type})
    for name, values in attributes.items():
        frame[name] = values
    return frame


def person_rate(lives: Lives, people: np.ndarray, base: float, sub: float, mh: float,
                dep: float, male: float, hidden: float, da: float = 0.0) -> np.ndarray:
    f = lives.person_factor
    result: np.ndarray = np.exp(
        base + sub * f("sub", people) + mh * f("mh", people) + dep * f("dep", people)
        + male * ~lives.female[people] + hidden * f("hidden", people) + da * f("da", people))
    return result


def crime(rng: np.random.Generator, lives: Lives) -> pd.DataFrame:
    """Offending; on top, people prone to abusing a partner (DA danger) commit violence outside
    the home: the perpetrator's other violent offending is a DA risk factor an analyst can see."""
    everyone = np.arange(len(lives.dob))
    parts = []
    for low, high, bump in ((14, 30, 0.8), (30, 75, 0.0)):
        lo, hi = lives.age_window(low, high)
        rate = person_rate(lives, everyone, -4.7 + bump, 0.9, 0.4, 0.7, 0.7, 0.5)
        parts.append(poisson_days(rng, everyone, rate, lo, hi))
    n_general = sum(len(p) for p, _ in parts)
    lo, hi = lives.age_window(16, 75)
    violent_rate = np.exp(-4.2 + 1.4 * np.clip(lives.dyn.danger, -3, 3))
    parts.append(poisson_days(rng, everyone, violent_rate, lo, hi))
    person = np.concatenate([p for p, _ in parts])
    day = np.concatenate([d for _, d in parts])
    n = len(person)
    offence = np.concatenate([pick(rng, OFFENCES, n_general),
                              np.full(n - n_general, OFFENCES[0], dtype=object)])
    return events("crime", person, day, offence_group=offence,
                  outcome=pick(rng, CRIME_OUTCOMES, n, [0.25, 0.35, 0.15, 0.1, 0.15]))


def asb(rng: np.random.Generator, lives: Lives) -> pd.DataFrame:
    everyone = np.arange(len(lives.dob))
    parts = []
    for low, high, base in ((10, 25, -3.9), (25, 65, -5.0)):
        lo, hi = lives.age_window(low, high)
        rate = person_rate(lives, everyone, base, 0.7, 0.3, 0.9, 0.4, 0.5)
        parts.append(poisson_days(rng, everyone, rate, lo, hi))
    person = np.concatenate([p for p, _ in parts])
    day = np.concatenate([d for _, d in parts])
    return events("asb", person, day, category=pick(rng, ASB_CATEGORIES, len(person)))


@dataclass
class Exploitation:
    """Per person x step: yearly rates of missing episodes and of exploitation CP plans."""

    household: np.ndarray
    missing: np.ndarray
    plans: np.ndarray

    def per_household(self, households: int) -> np.ndarray:
        """Expected exploitation indicators per year of each household's children, by step."""
        return per_household(households, self.household, self.missing + self.plans)


def exploitation_rates(lives: Lives) -> Exploitation:
    """Children 10-17 go missing and are exploited more where a network is active (and as it
    grows), at ages 13-16 most, and more from households with substance misuse or DA."""
    d = lives.dyn
    household, oa, age, eligible = child_steps(lives)
    local = np.clip(oa - d.oa_first, 0, len(d.network) - 1)
    network = d.network[local, np.arange(STEPS)[None, :]]
    everyone = np.arange(len(lives.dob))
    curve = age_curve(age) * eligible
    missing_rate = (person_rate(lives, everyone, -4.6, 1.0, 0.8, 0.5, 0.0, 0.6, da=0.8)[:, None]
                    * np.exp(0.6 * network) * curve)
    f = lives.person_factor
    plan_rate = (np.exp(-6.0 + 0.7 * f("sub", everyone) + 0.5 * f("da", everyone)
                        + 0.4 * f("hidden", everyone) + 0.3 * f("dep", everyone))[:, None]
                 * np.exp(0.9 * network) * curve)
    return Exploitation(household, missing_rate, plan_rate)


def missing(rng: np.random.Generator, lives: Lives, hotspots: np.ndarray,
            exploitation: Exploitation) -> pd.DataFrame:
    everyone = np.arange(len(lives.dob))
    lo, hi = lives.age_window(10, 18)
    person, day = poisson_steps(rng, everyone, exploitation.missing, lo, hi)
    n = len(person)
    home_oa = lives.address_at(lives.household_at(person, day), day) // ADDRESSES_PER_OA
    where = rng.random(n)
    random_oa = rng.integers(home_oa.min(initial=0), home_oa.max(initial=0) + 1, n)
    found_oa = np.where(where < 0.5, home_oa,
                        np.where(where < 0.85, rng.choice(hotspots, n), random_oa))
    hour_p = np.asarray([3, 3, 2, 2, 1, 1, 1, 2, 3, 3, 3, 3, 4, 4, 4, 5, 5, 6, 7, 8, 8, 7, 6, 4],
                        dtype=float)
    return events(
        "missing_episode", person, day, found_oa=found_oa,
        found_location=pick(rng, FOUND_PLACES, n),
        found_hour=rng.choice(24, n, p=hour_p / hour_p.sum()),
        duration_hours=np.round(rng.lognormal(2.3, 0.9, n), 1))


def probation(rng: np.random.Generator, lives: Lives, crimes: pd.DataFrame) -> pd.DataFrame:
    adult = lives.age_at(crimes["person"].to_numpy(), crimes["day"].to_numpy()) >= 18
    charged = crimes[(crimes["outcome"] == "Charged") & (crimes["day"] < PERIOD_DAYS - 130)
                     & adult]
    chosen = charged[rng.random(len(charged)) < 0.45]
    day = chosen["day"].to_numpy() + rng.integers(40, 120, len(chosen))
    return events("probation", chosen["person"].to_numpy(), day,
                  order_type=pick(rng, ORDERS, len(chosen), [0.55, 0.3, 0.15]))
