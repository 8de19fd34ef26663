"""Domestic abuse: incidents in the home, abuse by an ex-partner after separation, DASH grades.

What the domain literature says raises the risk of escalation to high risk, planted as a Cox
process (events are Poisson given the latent path, so the planted probability stays exact):
the perpetrator's own dangerousness, which belongs to the person and moves with them between
homes (it also shows as violent offending outside the home); a household crisis (incidents come
faster and grow more severe); a pregnancy or new baby during a crisis; substance misuse with
mental ill health; recent offending by a member; and separation — a dangerous ex-partner goes
on abusing the partner left behind, most in the first year and most of all around a new baby.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from odahub.synth.dynamics import poisson_steps, step_mid, step_of
from odahub.synth.events_police import events
from odahub.synth.lives import Lives, present
from odahub.synth.params import PERIOD_DAYS, STEP_DAYS, STEPS
from odahub.synth.population import YEAR, sigmoid

DANGER_CAP = 3.0


@dataclass
class DomesticAbuse:
    """Per household x step yearly rates and high-risk chances; per separation the same."""

    rate: np.ndarray        # incidents between the adults of the home
    p_high: np.ndarray
    victim_home: np.ndarray  # per separation: the household left behind
    leaver: np.ndarray       # the person who left (the perpetrator of ex-partner abuse)
    leaver_home: np.ndarray
    ex_rate: np.ndarray      # (separations, STEPS) ex-partner incidents against victim_home
    ex_high: np.ndarray

    def high_rate(self) -> np.ndarray:
        """Yearly rate of high-risk incidents involving a member, per household and step: both
        the home left behind and the leaver's new home count an ex-partner incident."""
        out: np.ndarray = self.rate * self.p_high
        ex = self.ex_rate * self.ex_high
        np.add.at(out, self.victim_home, ex)
        np.add.at(out, self.leaver_home, ex)
        return out

    def victim_rate(self) -> np.ndarray:
        """Yearly rate of incidents with a victim in the household (police notify services)."""
        out = self.rate.copy()
        np.add.at(out, self.victim_home, self.ex_rate)
        return out


def adults_by_step(lives: Lives) -> tuple[np.ndarray, np.ndarray]:
    """Per household and step: the highest danger among adults (16+) present, and their count."""
    mid = step_mid()[None, :]
    person = np.arange(len(lives.dob))[:, None]
    household = np.where(mid >= lives.change[person], lives.hh1[person], lives.hh0[person])
    adult = ((mid - lives.dob[person]) / YEAR >= 16) & (mid < lives.end[person])
    n = len(lives.risk)
    cell = (household * STEPS + np.arange(STEPS)[None, :])[adult]
    danger = np.full(n * STEPS, -np.inf)
    np.maximum.at(danger, cell, np.broadcast_to(lives.dyn.danger[:, None], adult.shape)[adult])
    count = np.bincount(cell, minlength=n * STEPS)
    return danger.reshape(n, STEPS), count.reshape(n, STEPS)


def process(lives: Lives, crimes: pd.DataFrame) -> DomesticAbuse:
    """The planted DA process of every household and separation of the chunk."""
    f = lives.factors
    d = lives.dyn
    n = len(f)
    top, adults = adults_by_step(lives)
    # Only a dangerous partner who is present raises the risk (a hinge: no effect below zero).
    danger = np.where(adults >= 2, np.clip(top, 0, DANGER_CAP), 0.0)
    base = np.exp(-4.5 + 1.9 * f["da"] + 0.5 * f["sub"] + 0.4 * f["mh"] + 0.5 * f["dep"]
                  + 0.45 * f["hidden"]).to_numpy()
    hh = lives.population.households
    eligible = ((hh["adults"] == 2) & ~hh["sharers"]) | hh["lone_parent"] | hh["da_history"]
    base = np.where(eligible.to_numpy(), base, base * 0.1)
    rate = base[:, None] * np.exp(1.2 * d.crisis + 0.3 * danger)
    where = lives.household_at(crimes["person"].to_numpy(), crimes["day"].to_numpy())
    cell = where * STEPS + step_of(crimes["day"].to_numpy())
    offending = np.bincount(cell, minlength=n * STEPS).reshape(n, STEPS).astype(float)
    recent = np.zeros_like(offending)
    recent[:, 1:] += offending[:, :-1]
    recent[:, 2:] += offending[:, :-2]
    high = (-4.0 + 0.5 * f["da"] + 0.45 * f["hidden"] + 0.9 * f["sub"] * f["mh"]).to_numpy()
    crisis = d.crisis > 0.3
    p_high = sigmoid(high[:, None] + 0.75 * d.crisis + d.perinatal * (0.5 + 1.5 * crisis)
                     + 0.4 * np.minimum(recent, 2) + 1.0 * danger + 0.6 * danger * crisis)
    return DomesticAbuse(rate, p_high, *_separations(lives, adults))


def _separations(lives: Lives, adults: np.ndarray) -> tuple[np.ndarray, ...]:
    """Ex-partner abuse after each separation: the rate fades over a year from the split and
    rises steeply with the leaver's danger; escalation is likelier around a new baby."""
    leaver = np.flatnonzero(lives.change < PERIOD_DAYS)
    home, new_home = lives.hh0[leaver], lives.hh1[leaver]
    split = lives.change[leaver][:, None]
    danger = np.clip(lives.dyn.danger[leaver], -DANGER_CAP, DANGER_CAP)[:, None]
    f = lives.factors
    da = f["da"].to_numpy()[home][:, None]
    edges = np.arange(STEPS)[None, :] * STEP_DAYS
    after = np.clip((edges + STEP_DAYS - split) / STEP_DAYS, 0, 1)  # share of the step after
    fade = np.exp(-np.maximum(step_mid()[None, :] - split, 0) / YEAR)
    someone = adults[home] >= 1  # a partner left behind to abuse
    rate = np.exp(-1.0 + 1.0 * da + 1.0 * danger) * fade * after * someone
    high = sigmoid(-1.0 + 0.9 * danger + 0.5 * da + 1.2 * lives.dyn.perinatal[home])
    return home, leaver, new_home, rate, high


def domestic_abuse(rng: np.random.Generator, lives: Lives, da: DomesticAbuse) -> pd.DataFrame:
    """Incidents; each names the victim and, where known, the perpetrator."""
    households = np.arange(len(da.rate))
    formed = lives.population.households["formed_day"].to_numpy()
    hh, day = poisson_steps(rng, households, da.rate, formed, np.full(len(da.rate), PERIOD_DAYS))
    grade = _grade(rng, da.p_high[hh, step_of(day)])
    home = _at_home(lives, hh, day, grade)
    index = np.arange(len(da.leaver))
    sep, sep_day = poisson_steps(rng, index, da.ex_rate, lives.change[da.leaver],
                                 np.full(len(index), PERIOD_DAYS))
    sep_grade = _grade(rng, da.ex_high[sep, step_of(sep_day)])
    ex = _by_ex_partner(lives, da, sep, sep_day, sep_grade, first=len(hh))
    return pd.concat([home, ex], ignore_index=True)


def _grade(rng: np.random.Generator, p: np.ndarray) -> np.ndarray:
    u = rng.random(len(p))
    result: np.ndarray = np.where(u < p, "high",
                                  np.where(u < p + (1 - p) * 0.45, "medium", "standard"))
    return result


def _at_home(lives: Lives, hh: np.ndarray, day: np.ndarray, grade: np.ndarray) -> pd.DataFrame:
    """The most dangerous adult present is the perpetrator; the victim is another adult (women
    first). With a single adult present only the victim is recorded."""
    incident = np.arange(len(hh))
    adults = present(lives, hh, day, incident, min_age=16)
    person = adults["person"].to_numpy()
    adults = adults.assign(danger=lives.dyn.danger[person], female=lives.female[person])
    adults = adults.sort_values(["event", "danger"], ascending=[True, False], kind="stable")
    size = adults.groupby("event")["person"].transform("size").to_numpy()
    perpetrator = (adults.groupby("event").cumcount().to_numpy() == 0) & (size >= 2)
    others = adults[~perpetrator].sort_values(["event", "female", "person"],
                                              ascending=[True, False, True], kind="stable")
    victims = others[others.groupby("event").cumcount().to_numpy() == 0]
    rows = pd.concat([victims.assign(role="victim"),
                      adults[perpetrator].assign(role="perpetrator")])
    rows = rows.sort_values(["event", "role"], ascending=[True, False], kind="stable")
    event = rows["event"].to_numpy()
    return events("domestic_abuse", rows["person"].to_numpy(), day[event],
                  dash_risk=grade[event], role_in_incident=rows["role"].to_numpy(),
                  incident=event, household_hint=hh[event])


def _by_ex_partner(lives: Lives, da: DomesticAbuse, sep: np.ndarray, day: np.ndarray,
                   grade: np.ndarray, first: int) -> pd.DataFrame:
    """Ex-partner incidents: the victim is an adult of the home left behind (women first), the
    perpetrator the leaver, who lives elsewhere (a person linked across households)."""
    incident = first + np.arange(len(sep))
    home = da.victim_home[sep]
    adults = present(lives, home, day, incident, min_age=16)
    adults = adults.assign(female=lives.female[adults["person"].to_numpy()])
    adults = adults.sort_values(["event", "female", "person"], ascending=[True, False, True],
                                kind="stable")
    victims = adults[adults.groupby("event").cumcount().to_numpy() == 0]
    local = victims["event"].to_numpy() - first
    person = np.concatenate([victims["person"].to_numpy(), da.leaver[sep[local]]])
    at = np.concatenate([local, local])
    role = np.repeat(np.array(["victim", "perpetrator"], dtype=object), len(local))
    order = np.lexsort((role != "victim", at))
    return events("domestic_abuse", person[order], day[at[order]],
                  dash_risk=grade[at[order]], role_in_incident=role[order],
                  incident=incident[at[order]], household_hint=home[at[order]])
