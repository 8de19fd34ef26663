"""Best achievable score from the synthetic county's planted probabilities (truth only)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from odahub.analyse.relations import Inputs
from odahub.analyse.specs import ModelSpec


def planted_scores(inputs: Inputs, spec: ModelSpec, test: pd.DataFrame, as_of: date
                   ) -> np.ndarray | None:
    """The generator's own probability of each test row's outcome, aligned to the rows.

    The county plants it for its own outcome window; it ranks the same way in any later window
    (the latent rates are constant), so its AUROC is the best achievable ranking.
    """
    if inputs.source != "truth":
        return None  # lake ids are the hub's own; the truth is not joined to them here
    for table in (inputs.truth_households, inputs.truth_persons):
        if table is not None and spec.truth_column and spec.truth_column in table.column_names:
            key = "household_id" if spec.entity == "household" else "person_id"
            frame = table.select([key, spec.truth_column]).to_pandas()
            mapped = test["entity_id"].map(frame.drop_duplicates(key).set_index(key)[
                spec.truth_column])
            return np.asarray(mapped.to_numpy(dtype=float))
    return None
