"""Council, school and health events: CIN referrals and CP plans, attendance, exclusions,
early-years assessments, substance misuse treatment, homelessness, A&E and fire incidents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from odahub.synth.dynamics import poisson_steps
from odahub.synth.events_police import Exploitation, events, person_rate
from odahub.synth.lives import Lives, pick, poisson_days, present
from odahub.synth.params import PERIOD_DAYS, PERIOD_START
from odahub.synth.population import YEAR

SOURCES = ("Police", "School", "Health", "Self/Family", "Other LA", "Anonymous")
CIN_OUTCOMES = ("No further action", "Early help", "Single assessment", "Section 47")
CP_CATEGORIES = ("Neglect", "Emotional abuse", "Physical abuse", "Sexual abuse", "Multiple")
EXPLOITATION = "Child exploitation"
NOTIFIED = 0.15  # share of police DA notifications that become a CIN referral
SUBSTANCES = ("Alcohol", "Opiates", "Cannabis", "Crack cocaine", "Non-opiate")
TREATMENT = ("Completed drug-free", "Dropped out", "Transferred", "Ongoing")
HOMELESS = ("Relationship breakdown", "Domestic abuse", "End of private tenancy",
            "Family or friends no longer willing", "Rent arrears")
COMPLAINTS = ("Injury", "Chest pain", "Breathing difficulty", "Abdominal pain", "Self-harm",
              "Intoxication", "Fall", "Assault")
FIRES = ("Accidental dwelling fire", "Deliberate fire", "False alarm", "Chimney fire",
         "Cooking fire")
TERMS = (("Autumn", 9, 1), ("Spring", 1, 4), ("Summer", 4, 20))
ACADEMIC_YEARS = (2020, 2021, 2022, 2023, 2024)


def day_of(year: int, month: int, day: int) -> int:
    return (date(year, month, day) - PERIOD_START).days


def household_rate(lives: Lives, base: float, sub: float, mh: float, da: float, dep: float,
                   hidden: float) -> np.ndarray:
    f = lives.factors
    rate: np.ndarray = np.exp(base + sub * f["sub"] + mh * f["mh"] + da * f["da"]
                              + dep * f["dep"] + hidden * f["hidden"]).to_numpy()
    return rate


def household_events(rng: np.random.Generator, lives: Lives, rate: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray]:
    formed = lives.population.households["formed_day"].to_numpy()
    households = np.arange(len(rate))
    return poisson_days(rng, households, rate, formed, np.full(len(rate), PERIOD_DAYS))


def cin_step_rates(lives: Lives) -> np.ndarray:
    """Per household and step: yearly rate of referrals raised by schools, health and families.

    Higher in a crisis, around a birth, with a teenager at home (the age profile of referrals is
    U-shaped: infants and adolescents), and where substance misuse meets mental ill health. Only
    households with a child at that step are referred.
    """
    f = lives.factors
    d = lives.dyn
    base = np.exp(-4.8 + 1.0 * f["sub"] + 0.8 * f["mh"] + 1.0 * f["da"] + 0.5 * f["dep"]
                  + 0.5 * f["hidden"] + 0.7 * f["sub"] * f["mh"]).to_numpy()
    rate: np.ndarray = (base[:, None] * np.exp(0.6 * d.crisis + 0.9 * d.perinatal
                                               + 0.4 * (d.teens > 0)) * (d.children > 0))
    return rate


def cin_referrals(rng: np.random.Generator, lives: Lives, da: pd.DataFrame,
                  rate: np.ndarray) -> pd.DataFrame:
    """Referrals for every child of a household; a share follow police DA notifications."""
    formed = lives.population.households["formed_day"].to_numpy()
    hh, day = poisson_steps(rng, np.arange(len(rate)), rate, formed,
                            np.full(len(rate), PERIOD_DAYS))
    victims = da[da["role_in_incident"] == "victim"]
    notified = victims[rng.random(len(victims)) < NOTIFIED]
    hh = np.concatenate([hh, notified["household_hint"].to_numpy()])
    day = np.concatenate([day, np.minimum(notified["day"].to_numpy()
                                          + rng.integers(1, 15, len(notified)), PERIOD_DAYS - 1)])
    source = np.concatenate([pick(rng, SOURCES, len(hh) - len(notified)),
                             np.full(len(notified), "Police", dtype=object)])
    referral = np.arange(len(hh))
    children = present(lives, hh, day, referral, max_age=18)
    event = children["event"].to_numpy()
    outcome = pick(rng, CIN_OUTCOMES, len(hh), [0.3, 0.25, 0.3, 0.15])
    return events("cin_referral", children["person"].to_numpy(), day[event],
                  referral_source=source[event], outcome=outcome[event], referral=event)


def cp_plans(rng: np.random.Generator, cin: pd.DataFrame) -> pd.DataFrame:
    s47 = cin[(cin["outcome"] == "Section 47") & (cin["day"] < PERIOD_DAYS - 70)]
    chosen = s47[rng.random(len(s47)) < 0.5]
    start = chosen["day"].to_numpy() + rng.integers(15, 60, len(chosen))
    end = start + rng.integers(180, 540, len(chosen))
    return events("cp_plan", chosen["person"].to_numpy(), start,
                  category=pick(rng, CP_CATEGORIES, len(chosen), [0.5, 0.2, 0.12, 0.04, 0.14]),
                  end_day=np.where(end < PERIOD_DAYS, end, -1))


def exploitation_plans(rng: np.random.Generator, lives: Lives,
                       exploitation: Exploitation) -> pd.DataFrame:
    """Child protection plans under the exploitation category (criminal or sexual), ages 10-17."""
    everyone = np.arange(len(lives.dob))
    lo, hi = lives.age_window(10, 18)
    person, start = poisson_steps(rng, everyone, exploitation.plans, lo, hi)
    end = start + rng.integers(180, 540, len(person))
    return events("cp_plan", person, start, category=np.full(len(person), EXPLOITATION,
                                                             dtype=object),
                  end_day=np.where(end < PERIOD_DAYS, end, -1))


def school_attendance(rng: np.random.Generator, lives: Lives) -> pd.DataFrame:
    people = np.flatnonzero(lives.population.persons["upn"].notna().to_numpy())
    absence = 1 / (1 + np.exp(-(-2.9 + 0.3 * rng.normal(0, 1, len(people))
                                + np.log(person_rate(lives, people, 0, 0.6, 0.5, 0.5, 0.1, 0.4,
                                                     da=0.4)))))
    frames = []
    for year in ACADEMIC_YEARS:
        for term, month, first in TERMS:
            start = day_of(year + (month < 9), month, first)
            age = (day_of(year, 9, 1) - lives.dob[people]) / YEAR
            enrolled = (age >= 4) & (age < 16) & (lives.end[people] > start + 60)
            who = people[enrolled]
            spread = rng.gamma(2.0, 0.5, len(who))
            pct = np.clip(100 * (1 - absence[enrolled] * spread), 0, 100).round(1)
            frames.append(events("school_attendance", who, np.full(len(who), start),
                                 attendance_pct=pct, term=f"{year}/{(year + 1) % 100:02d} {term}"))
    return pd.concat(frames, ignore_index=True)


def exclusions(rng: np.random.Generator, lives: Lives) -> pd.DataFrame:
    everyone = np.arange(len(lives.dob))
    lo, hi = lives.age_window(8, 16)
    rate = person_rate(lives, everyone, -4.4, 0.8, 0.5, 0.6, 0.7, 0.5)
    person, day = poisson_days(rng, everyone, rate, lo, hi)
    permanent = rng.random(len(person)) < 0.06
    return events("exclusion", person, day,
                  exclusion_type=np.where(permanent, "Permanent", "Suspension"),
                  days=np.where(permanent, 0, rng.integers(1, 6, len(person))).astype(float))


# Cumulative risk (Rutter 1979; Sameroff et al. 1987): one kind of adversity at home adds little
# to a young child's risk, several together add far more than their sum. Log-odds by the number
# of kinds in the two years before the assessment (0, 1, 2, 3, 4 or more).
CUMULATIVE_ADVERSITY = np.array([0.0, 0.1, 1.0, 1.7, 2.2])


@dataclass(frozen=True)
class Adversity:
    """What touches a young child's home: the recorded events, and per household the yearly
    rates of domestic abuse (at the period's start) and homelessness, which stand in for the
    child's life before the simulated period, where there are no events."""

    da: pd.DataFrame
    homeless: pd.DataFrame
    cin: pd.DataFrame
    crimes: pd.DataFrame
    da_rate: np.ndarray
    homeless_rate: np.ndarray


def early_years(rng: np.random.Generator, lives: Lives, home: Adversity) -> pd.DataFrame:
    """Reception-year assessment each June.

    Not being school-ready follows deprivation and the child's place in the school year (summer
    births are nearly a year younger), parental substance misuse together with mental ill health
    (an interaction), domestic abuse in the child's household while they were under two (and less
    so later), homelessness since birth, and cumulative adversity: how many kinds of recorded
    adversity (domestic abuse, homelessness, a children's social care referral, a member's
    offending) touched the child's home in the two years before (CUMULATIVE_ADVERSITY).

    Exposure before the simulated period is counted at its expected value, so the planted process
    is the same for every year's cohort (ADR 0086); only what records show grows with the years.
    """
    incidents = home.da.drop_duplicates("incident")
    spells = lives.members()
    frames = []
    for year in (2021, 2022, 2023, 2024, 2025):
        sept = day_of(year - 5, 9, 1)
        born = (lives.dob >= sept) & (lives.dob < day_of(year - 4, 9, 1))
        day = day_of(year, 6, 15)
        who = np.flatnonzero(born & (lives.end > day))
        early, later = _exposure(lives, spells, incidents, who, day)
        early += _before_period(lives, who, day, home.da_rate, 0, 2)
        later += _before_period(lives, who, day, home.da_rate, 2, 6)
        homeless_hh = home.homeless[(home.homeless["day"] < day)]
        exposed = _household_event_since_birth(lives, spells, homeless_hh, who, day)
        unseen = _before_period(lives, who, day, home.homeless_rate, 0, 6)
        exposed = 1 - (1 - exposed) * np.exp(-unseen)  # recorded, or else its chance before
        kinds = _adversity_kinds(lives, spells, who, day,
                                 (incidents, home.homeless, home.cin, home.crimes))
        f = lives.person_factor
        young = (lives.dob[who] - sept) / YEAR
        logit = (-2.5 + 0.8 * f("dep", who) + 1.0 * young + 0.5 * f("sub", who)
                 + 0.4 * f("mh", who) + 0.9 * f("sub", who) * f("mh", who)
                 + 0.35 * ~lives.female[who] + 0.45 * f("hidden", who) + 0.3 * f("lone", who)
                 + 0.55 * np.minimum(early, 3) + 0.2 * np.minimum(later, 3) + 0.6 * exposed
                 + CUMULATIVE_ADVERSITY[np.minimum(kinds, len(CUMULATIVE_ADVERSITY) - 1)])
        p_not_ready = 1 / (1 + np.exp(-logit))
        ready = rng.random(len(who)) >= p_not_ready
        frames.append(events("early_years", who, np.full(len(who), day), school_ready=ready,
                             assessment=np.where(ready, "Expected", "Emerging"),
                             p_not_ready=p_not_ready))
    return pd.concat(frames, ignore_index=True)


def _child_spells(spells: pd.DataFrame, who: np.ndarray) -> pd.DataFrame:
    return spells[np.isin(spells["person"].to_numpy(), who)]


def _exposure(lives: Lives, spells: pd.DataFrame, incidents: pd.DataFrame, who: np.ndarray,
              day: int) -> tuple[np.ndarray, np.ndarray]:
    """DA incidents in each child's household while under two, and from two until `day`."""
    frame = pd.DataFrame({"household": incidents["household_hint"].to_numpy(),
                          "day": incidents["day"].to_numpy()})
    joined = frame[frame["day"] < day].merge(_child_spells(spells, who), on="household")
    inside = (joined["day"] >= joined["from_day"]) & (joined["day"] < joined["to_day"])
    joined = joined[inside]
    age = (joined["day"].to_numpy() - lives.dob[joined["person"].to_numpy()]) / YEAR
    n = len(lives.dob)
    early = np.bincount(joined["person"].to_numpy()[age < 2], minlength=n)[who]
    later = np.bincount(joined["person"].to_numpy()[age >= 2], minlength=n)[who]
    return early.astype(float), later.astype(float)


def _before_period(lives: Lives, who: np.ndarray, day: int, rate: np.ndarray, lo: float,
                   hi: float) -> np.ndarray:
    """Expected events (at the first household's yearly `rate`) while each child was aged
    [lo, hi) years, before both the simulated period (day 0) and `day`."""
    start = lives.dob[who] + lo * YEAR
    end = np.minimum(np.minimum(lives.dob[who] + hi * YEAR, day), 0)
    years: np.ndarray = np.clip(end - start, 0, None) / YEAR
    return np.asarray(rate[lives.hh0[who]] * years)


def _adversity_kinds(lives: Lives, spells: pd.DataFrame, who: np.ndarray, day: int,
                     kinds: tuple[pd.DataFrame, ...]) -> np.ndarray:
    """How many of the kinds of event touched each child's home in the two years before `day`."""
    since = day - int(2 * YEAR)
    found = sum(_household_event_since_birth(
        lives, spells, k[(k["day"] >= since) & (k["day"] < day)], who, day) for k in kinds)
    return np.asarray(found, dtype=int)


def _household_event_since_birth(lives: Lives, spells: pd.DataFrame, happened: pd.DataFrame,
                                 who: np.ndarray, day: int) -> np.ndarray:
    """Whether a household event (e.g. homelessness) touched each child's home since birth."""
    where = lives.household_at(happened["person"].to_numpy(), happened["day"].to_numpy())
    frame = pd.DataFrame({"household": where, "day": happened["day"].to_numpy()})
    joined = frame.merge(_child_spells(spells, who), on="household")
    inside = (joined["day"] >= joined["from_day"]) & (joined["day"] < joined["to_day"])
    hit = np.zeros(len(lives.dob), dtype=bool)
    hit[joined.loc[inside, "person"].to_numpy()] = True
    result: np.ndarray = hit[who].astype(float)
    return result


def substance_misuse(rng: np.random.Generator, lives: Lives) -> pd.DataFrame:
    everyone = np.arange(len(lives.dob))
    lo, hi = lives.age_window(18, 66)
    user = (lives.person_factor("sub", everyone) > 0) & (rng.random(len(everyone)) < 0.6)
    rate = np.where(user, 0.22, 0.002)
    person, day = poisson_days(rng, everyone, rate, lo, hi)
    drug = pick(rng, SUBSTANCES, len(everyone), [0.45, 0.2, 0.2, 0.08, 0.07])
    return events("substance_misuse", person, day, substance=drug[person],
                  treatment_outcome=pick(rng, TREATMENT, len(person), [0.35, 0.35, 0.1, 0.2]))


def homeless_rate(lives: Lives) -> np.ndarray:
    """Per household, the yearly rate of presenting as homeless."""
    return household_rate(lives, -4.6, 0.6, 0.3, 0.9, 0.9, 0.4)


def homelessness(rng: np.random.Generator, lives: Lives) -> pd.DataFrame:
    rate = homeless_rate(lives)
    hh, day = household_events(rng, lives, rate)
    applicants = present(lives, hh, day, np.arange(len(hh)), min_age=18)
    applicants = applicants[applicants.groupby("event").cumcount() == 0]
    event = applicants["event"].to_numpy()
    # Partners who leave after a separation sometimes present as homeless that week.
    persons = lives.population.persons
    leavers = np.flatnonzero((persons["hh_change_day"] >= 0).to_numpy())
    leavers = leavers[rng.random(len(leavers)) < 0.2]
    person = np.concatenate([applicants["person"].to_numpy(), leavers])
    days = np.concatenate([day[event], lives.change[leavers]])
    reason = np.concatenate([pick(rng, HOMELESS, len(event)),
                             np.full(len(leavers), "Relationship breakdown", dtype=object)])
    return events("homelessness", person, days, reason=reason)


def ae_attendances(rng: np.random.Generator, lives: Lives) -> pd.DataFrame:
    everyone = np.arange(len(lives.dob))
    lo, hi = lives.age_window(0, 110)
    age_start = -lives.dob / YEAR
    rate = person_rate(lives, everyone, -2.7, 0.5, 0.4, 0.3, 0.0, 0.2) * np.where(
        (age_start < 5) | (age_start > 75), 1.6, 1.0)
    person, day = poisson_days(rng, everyone, rate, lo, hi)
    adult = lives.age_at(person, day) >= 16
    alcohol = adult & (rng.random(len(person)) < 0.04 + 0.25 * lives.person_factor("sub", person))
    # Mental ill health shows at A&E as self-harm (the only partner record of it in the county).
    harm = adult & ~alcohol & (rng.random(len(person)) < 0.02 + 0.3 * lives.person_factor(
        "mh", person))
    complaint = np.where(alcohol, "Intoxication",
                         np.where(harm, "Self-harm", pick(rng, COMPLAINTS, len(person))))
    return events("ae_attendance", person, day, complaint=complaint, alcohol_related=alcohol)


def fire_incidents(rng: np.random.Generator, lives: Lives) -> pd.DataFrame:
    rate = household_rate(lives, -5.0, 0.8, 0.3, 0.2, 0.6, 0.4)
    hh, day = household_events(rng, lives, rate)
    occupants = present(lives, hh, day, np.arange(len(hh)), min_age=18)
    occupants = occupants[occupants.groupby("event").cumcount() == 0]
    event = occupants["event"].to_numpy()
    return events("fire_incident", occupants["person"].to_numpy(), day[event],
                  incident_type=pick(rng, FIRES, len(event), [0.35, 0.15, 0.3, 0.05, 0.15]))
