"""A small simulated cohort with confounded selection and a known, planted effect."""

from __future__ import annotations

import numpy as np
import pandas as pd

OUTCOMES = ["asb", "offending", "police_callouts", "school_absence", "domestic_abuse"]


def simulate_cohort(n: int = 2000, effect: float = 0.3, trend: float = -0.1, seed: int = 3
                    ) -> pd.DataFrame:
    """Each unit has a latent need; pre counts are noisy readings of it; units with high recent
    counts are far more likely to be referred (selection on prior risk). The programme cuts the
    post-period rate of every outcome by `effect`; everyone's rate drifts by `trend`."""
    rng = np.random.default_rng(seed)
    need = rng.gamma(shape=1.2, scale=1.0, size=n)
    age = rng.integers(10, 60, size=n)
    base = {"asb": 0.8, "offending": 0.5, "police_callouts": 1.2, "school_absence": 0.6,
            "domestic_abuse": 0.4}
    frame = pd.DataFrame({"unit_id": [f"U{i}" for i in range(n)], "age": age})
    pre_total = np.zeros(n)
    for name, rate in base.items():
        frame[f"{name}_pre"] = rng.poisson(need * rate)
        pre_total += frame[f"{name}_pre"]
    score = -3.2 + 0.35 * pre_total - 0.01 * (age - 30)
    treated = rng.random(n) < 1 / (1 + np.exp(-score))
    frame["treated"] = treated
    for name, rate in base.items():
        multiplier = (1 + trend) * np.where(treated, 1 - effect, 1.0)
        frame[f"{name}_post"] = rng.poisson(need * rate * multiplier)
    return frame


def cohort_events(cohort: pd.DataFrame, index_day: str = "2021-06-01", seed: int = 4
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Explode a cohort's counts into dated events a year either side of one index date, plus
    the treated units' intervention starts (what a county or a feed would deliver)."""
    rng = np.random.default_rng(seed)
    index = pd.Timestamp(index_day)
    types = {"asb": "asb", "offending": "crime", "domestic_abuse": "domestic_abuse",
             "school_absence": "exclusion"}
    frames = []
    for outcome, event_type in types.items():
        for period, sign in (("pre", -1), ("post", 1)):
            counts = cohort[f"{outcome}_{period}"].to_numpy()
            units = np.repeat(cohort["unit_id"].to_numpy(), counts)
            offsets = rng.integers(1, 364, size=len(units)) * sign
            frames.append(pd.DataFrame({
                "unit_id": units, "event_type": event_type,
                "event_date": (index + pd.to_timedelta(offsets, unit="D")).date}))
    starts = cohort.loc[cohort["treated"], ["unit_id"]].assign(start_date=index.date())
    return pd.concat(frames, ignore_index=True), starts
