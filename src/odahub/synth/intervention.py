"""The early-help programme: who is offered it, and its planted effect on police call-outs.

Selection depends on the household's recent police and CIN contact (plus risk), so treated
families are not comparable with the rest, and a naive before/after comparison picks up
regression to the mean. The effect is planted by thinning the Poisson process of police events
(crime, ASB, domestic abuse) after the start: each is kept with probability EARLY_HELP_RATE_RATIO,
so the true rate ratio is exactly that.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from odahub.synth.events_services import day_of
from odahub.synth.lives import Lives, pick, present
from odahub.synth.params import EARLY_HELP_RATE_RATIO, PERIOD_DAYS

POLICE_EVENTS = ("crime", "asb", "domestic_abuse")
PROGRAMMES = ("Family Support", "Parenting Programme", "Troubled Families")


def select(rng: np.random.Generator, lives: Lives, prior: pd.DataFrame) -> pd.DataFrame:
    """Treated households with start/end days. `prior`: events with `household`, `day`."""
    n = len(lives.risk)
    start = rng.integers(day_of(2022, 1, 1), day_of(2023, 7, 1), n)
    counted = prior[prior["event_type"].isin([*POLICE_EVENTS, "cin_referral"])]
    hh = counted["household"].to_numpy()
    in_year = (counted["day"].to_numpy() < start[hh]) & (counted["day"].to_numpy()
                                                         >= start[hh] - 365)
    recent = np.bincount(hh[in_year], minlength=n)
    children = present(lives, np.arange(n), start, np.arange(n), max_age=18)
    has_children = np.zeros(n, dtype=bool)
    has_children[children["event"].to_numpy()] = True
    p = 1 / (1 + np.exp(-(-4.3 + 0.9 * np.minimum(recent, 5) + 0.4 * lives.risk)))
    treated = np.flatnonzero(has_children & (rng.random(n) < p))
    return pd.DataFrame({
        "household": treated, "start_day": start[treated],
        "end_day": start[treated] + rng.integers(90, 270, len(treated)),
        "completed": rng.random(len(treated)) < 0.75,
        "programme": pick(rng, PROGRAMMES, len(treated)),
        "prior_events_12m": recent[treated],
    })


def apply_effect(rng: np.random.Generator, all_events: pd.DataFrame, treated: pd.DataFrame,
                 households: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Drop the police events the programme prevented; count them per treated household."""
    start = np.full(households, PERIOD_DAYS + 1)
    start[treated["household"].to_numpy()] = treated["start_day"].to_numpy()
    hh = all_events["household"].to_numpy()
    after = (all_events["event_type"].isin(POLICE_EVENTS).to_numpy()
             & (all_events["day"].to_numpy() >= start[hh]))
    # DA incidents name two people: thin per incident so both rows go together.
    key = np.where(all_events["event_type"] == "domestic_abuse",
                   all_events["incident"].fillna(-1).to_numpy(), -2 - np.arange(len(hh)))
    _, inverse = np.unique(key, return_inverse=True)
    keep_draw = rng.random(int(inverse.max(initial=0)) + 1) < EARLY_HELP_RATE_RATIO
    prevented = after & ~keep_draw[inverse]
    counts = np.bincount(hh[prevented], minlength=len(start))
    treated = treated.assign(events_prevented=counts[treated["household"].to_numpy()])
    return all_events[~prevented], treated
