"""Best achievable score from the synthetic county's planted truth (truth only, never features).

The county plants, per household and time step, the yearly rate of each modelled outcome given
its latent path (crises, area networks; `planted_*_rate` lists in the households truth). For a
prediction date D and horizon H the planted probability of a household outcome is
1 - exp(-integral of the rate over (D, D + H]); for an output area, the expected number of
exploitation indicators among its children over the window ranks areas exactly as the
probability of being elevated does. For school readiness the child's own planted probability is
stored. These are upper bounds: they know the latent path, which no model can see.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from odahub.analyse.relations import Inputs
from odahub.analyse.specs import ModelSpec

YEAR_DAYS = 365.25


def planted_scores(inputs: Inputs, spec: ModelSpec, test: pd.DataFrame, as_of: date
                   ) -> np.ndarray | None:
    """The generator's own probability (or expected count) of each test row's outcome."""
    if inputs.source != "truth" or not spec.truth_column:
        return None  # lake ids are the hub's own; the truth is not joined to them here
    households = inputs.truth_households
    if households is not None and spec.truth_column in households.column_names:
        columns = [c for c in ("household_id", "oa_code", "first_oa_code", "move_date",
                               "planted_from", "planted_step_days", spec.truth_column)
                   if c in households.column_names]
        frame = households.select(columns).to_pandas()
        return _from_rates(frame, spec, test, as_of)
    persons = inputs.truth_persons
    if persons is not None and spec.truth_column in persons.column_names:
        key = "household_id" if spec.entity == "household" else "person_id"
        frame = persons.select([key, spec.truth_column]).to_pandas()
        mapped = test["entity_id"].map(frame.drop_duplicates(key).set_index(key)[
            spec.truth_column])
        return np.asarray(mapped.to_numpy(dtype=float))
    return None


def window_integral(frame: pd.DataFrame, column: str, as_of: date, horizon_days: int
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Per household and step: the rate x years of the step inside (as_of, as_of + horizon]."""
    rates = np.stack([np.asarray(r, dtype=float) for r in frame[column]])
    origin = pd.Timestamp(frame["planted_from"].iloc[0]).date()
    step = int(frame["planted_step_days"].iloc[0])
    start = (as_of + timedelta(days=1) - origin).days
    end = start + horizon_days
    edges = np.arange(rates.shape[1]) * step
    overlap = np.clip(np.minimum(edges + step, end) - np.maximum(edges, start), 0, None)
    return rates * overlap[None, :] / YEAR_DAYS, edges


def _from_rates(frame: pd.DataFrame, spec: ModelSpec, test: pd.DataFrame, as_of: date
                ) -> np.ndarray:
    column = spec.truth_column or ""
    amount, edges = window_integral(frame, column, as_of, spec.horizon_days)
    if spec.entity == "household":
        p = pd.Series(1 - np.exp(-amount.sum(axis=1)), index=frame["household_id"].to_numpy())
        return np.asarray(test["entity_id"].map(p).to_numpy(dtype=float))
    # Areas: each household's expected count goes to the area it lives in at each step.
    origin = pd.Timestamp(frame["planted_from"].iloc[0])
    moved = pd.to_datetime(frame["move_date"])
    move_day = ((moved - origin).dt.days).fillna(np.inf).to_numpy()
    first = frame["first_oa_code"].to_numpy(dtype=object)
    final = frame["oa_code"].to_numpy(dtype=object)
    oa = np.where(edges[None, :] >= move_day[:, None], final[:, None], first[:, None])
    expected = pd.Series(amount.ravel()).groupby(oa.ravel()).sum()
    return np.asarray(test["entity_id"].map(expected).to_numpy(dtype=float))
