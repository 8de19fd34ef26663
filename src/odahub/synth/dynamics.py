"""Time-varying latent risk: household crises, household make-up by step, area networks.

Real escalation is not a constant rate: families go through crises that build up (incidents
come faster and grow more severe), often around a pregnancy or a new baby, and fade; areas see
exploitation networks arrive, grow and leave. The county models these as processes on a grid of
STEP_DAYS steps (a Cox process: events are Poisson given the latent path), so the probability of
any outcome in any window is known exactly given the latent path — the planted best.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from odahub.synth.geography import ADDRESSES_PER_OA
from odahub.synth.lives import Lives, poisson_days
from odahub.synth.params import BURN_IN_STEPS, PERIOD_DAYS, STEP_DAYS, STEPS
from odahub.synth.population import YEAR, sigmoid

CRISIS_CAP = 2.5
NETWORK_CAP = 2.0


@dataclass
class Dynamics:
    """Per household (rows) and step (columns) unless stated; OA arrays are chunk-local."""

    crisis: np.ndarray      # latent crisis intensity (0 = calm)
    perinatal: np.ndarray   # a baby under one, or one due within nine months
    children: np.ndarray    # members under 18 at the step's middle
    teens: np.ndarray       # members aged 13-17
    network: np.ndarray     # per chunk OA: exploitation network intensity
    oa_first: int           # global index of the chunk's first OA
    danger: np.ndarray      # per person: DA perpetrator dangerousness, carried between homes


def step_mid() -> np.ndarray:
    result: np.ndarray = (np.arange(STEPS) + 0.5) * STEP_DAYS
    return result


def step_of(day: np.ndarray) -> np.ndarray:
    result: np.ndarray = np.clip(np.asarray(day) // STEP_DAYS, 0, STEPS - 1)
    return result


def build(rng: np.random.Generator, lives: Lives, hotspots: np.ndarray) -> Dynamics:
    n = len(lives.risk)
    perinatal, children, teens = _make_up(lives, n)
    crisis = _crisis(rng, lives, perinatal)
    oas = lives.address0 // ADDRESSES_PER_OA
    first = int(oas.min(initial=0))
    network = _network(rng, lives, oas, first, hotspots)
    return Dynamics(crisis, perinatal, children, teens, network, first, _danger(rng, lives))


def _danger(rng: np.random.Generator, lives: Lives) -> np.ndarray:
    """A person's propensity to abuse a partner, drawn last so the other processes keep their
    draws: higher for men and in homes with DA history or substance misuse. It belongs to the
    person, so a perpetrator who leaves carries it to the next home (synth/events_da.py)."""
    f = lives.factors
    first = lives.hh0
    result: np.ndarray = (0.9 * rng.normal(0, 1, len(first)) + 0.6 * ~lives.female
                          + 0.5 * f["da"].to_numpy()[first] + 0.3 * f["sub"].to_numpy()[first]
                          - 0.6)
    return result


def _make_up(lives: Lives, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Members by age at each step's middle, counted per household (persons x steps, vectorised)."""
    mid = step_mid()[None, :]
    person = np.arange(len(lives.dob))[:, None]
    household = np.where(mid >= lives.change[person], lives.hh1[person], lives.hh0[person])
    age = (mid - lives.dob[person]) / YEAR
    alive = mid < lives.end[person]
    cell = household * STEPS + np.arange(STEPS)[None, :]

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(cell[mask], minlength=n * STEPS).reshape(n, STEPS)

    perinatal = count(alive & (age >= -0.75) & (age < 1.0)) > 0
    children = count(alive & (age >= 0) & (age < 18))
    teens = count(alive & (age >= 13) & (age < 18))
    return perinatal, children, teens


def _crisis(rng: np.random.Generator, lives: Lives, perinatal: np.ndarray) -> np.ndarray:
    """Crises start more often in at-risk households and around a birth; they build, then fade."""
    f = lives.factors
    n = len(f)
    base = (-3.6 + 0.8 * f["da"] + 0.5 * f["sub"] + 0.4 * f["mh"] + 0.3 * f["dep"]
            + 0.4 * f["hidden"]).to_numpy()
    growth = 0.5 * np.exp(0.3 * rng.normal(0, 1, n)) * (1 + 0.6 * (f["sub"] * f["mh"]).to_numpy())
    active = np.zeros(n, dtype=bool)
    level = np.zeros(n)
    out = np.zeros((n, STEPS))
    for step in range(-BURN_IN_STEPS, STEPS):  # loops over time steps, vectorised over homes
        s = max(step, 0)
        start = rng.random(n) < sigmoid(base + 1.0 * perinatal[:, s])
        stop = rng.random(n) < 0.3
        active = np.where(active, ~stop, start)
        level = np.where(active, np.minimum(level + growth, CRISIS_CAP), 0.35 * level)
        if step >= 0:
            out[:, step] = level
    return out


def _network(rng: np.random.Generator, lives: Lives, oas: np.ndarray, first: int,
             hotspots: np.ndarray) -> np.ndarray:
    """Exploitation networks arrive in deprived town-centre areas, grow while present, leave."""
    count = int(oas.max(initial=0)) - first + 1
    dep = np.zeros(count)
    hh_dep = lives.factors["dep"].to_numpy()
    np.maximum.at(dep, oas - first, hh_dep)
    hot = np.zeros(count)
    local = hotspots - first
    hot[local[(local >= 0) & (local < count)]] = 1.0
    p_arrive = sigmoid(-4.2 + 0.9 * dep + 1.5 * hot)
    present = np.zeros(count, dtype=bool)
    level = np.zeros(count)
    out = np.zeros((count, STEPS))
    for step in range(-BURN_IN_STEPS, STEPS):
        arrive = rng.random(count) < p_arrive
        leave = rng.random(count) < 0.12
        present = np.where(present, ~leave, arrive)
        level = np.where(present, np.minimum(level + 0.45, NETWORK_CAP), 0.5 * level)
        if step >= 0:
            out[:, step] = level
    return out


def poisson_steps(rng: np.random.Generator, owner: np.ndarray, rate: np.ndarray,
                  lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A Poisson process whose yearly rate is constant within each step: rate is (owners, STEPS)."""
    owners, days = [], []
    for step in range(STEPS):
        a = np.maximum(lo, step * STEP_DAYS)
        b = np.minimum(hi, min((step + 1) * STEP_DAYS, PERIOD_DAYS))
        o, d = poisson_days(rng, owner, rate[:, step], a, np.maximum(a, b))
        owners.append(o)
        days.append(d)
    return np.concatenate(owners), np.concatenate(days)


def age_curve(age: np.ndarray) -> np.ndarray:
    """Exploitation risk by age: negligible at 10, peaking at 15, still high at 17."""
    result: np.ndarray = np.exp(0.8 - 0.8 * ((age - 15.0) / 2.5) ** 2)
    return result


def child_steps(lives: Lives) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per person x step: household, OA (global), age and whether aged 10-17 and alive."""
    mid = step_mid()[None, :]
    person = np.arange(len(lives.dob))[:, None]
    household = np.where(mid >= lives.change[person], lives.hh1[person], lives.hh0[person])
    oa = np.where(mid >= lives.move_day[household], lives.address1[household],
                  lives.address0[household]) // ADDRESSES_PER_OA
    age = (mid - lives.dob[person]) / YEAR
    eligible = (age >= 10) & (age < 18) & (mid < lives.end[person])
    return household, oa, age, eligible


def per_household(n: int, household: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Sum a persons x steps matrix into households x steps."""
    cell = household * STEPS + np.arange(STEPS)[None, :]
    return np.bincount(cell.ravel(), weights=values.ravel(), minlength=n * STEPS).reshape(n, STEPS)
