"""Model frames: one row per cohort member at a prediction date, its features and its label."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa

from odahub.analyse import marts
from odahub.analyse.specs import ModelSpec
from odahub.engine import Engine

ID_COLUMN = {"household": "household_id", "person": "person_id", "oa": "oa_code"}
MART_OF = {"household": "household_features", "person": "person_features", "oa": "oa_features"}
NOT_FEATURES = {"person_id", "household_id", "oa_code", "lsoa_code", "ward_code", "as_of",
                "birth_date", "first_contact", "last_contact", "sex", "ethnicity", "hrp_sex",
                "hrp_ethnicity", "latitude", "longitude", "label", "entity_id", "hh_household_id",
                "hh_as_of", "hh_oa_code", "hh_first_contact", "hh_last_contact", "hh_hrp_sex",
                "hh_hrp_ethnicity", "hh_imd_decile"}


CHILD_HOME = ("home_da_under_two", "home_da_since_birth", "home_homeless_since_birth",
              "home_substance_since_birth", "home_self_harm_since_birth",
              "home_social_care_since_birth", "home_substance_x_self_harm",
              "home_adversity_kinds_24m")


@dataclass
class MartCache:
    """Marts per prediction date, built once per run (training stacks several dates)."""

    engine: Engine
    built: dict[date, dict[str, pa.Table]] = field(default_factory=dict)

    def marts(self, as_of: date) -> dict[str, pa.Table]:
        if as_of not in self.built:
            self.built[as_of] = marts.build(self.engine, as_of)
        tables = self.built[as_of]
        # Labels of households and areas follow members as of the prediction date.
        self.engine.register("an_person_features", tables["person_features"])
        return tables


def entity_table(cache: MartCache, spec: ModelSpec, as_of: date) -> pa.Table:
    tables = cache.marts(as_of)
    table = tables[MART_OF[spec.entity]]
    if spec.entity != "person":
        return table
    household = tables["household_features"]
    household = household.rename_columns([f"hh_{c}" for c in household.column_names])
    engine = cache.engine
    engine.register("an_frame_person", table)
    engine.register("an_frame_household", household)
    # A young child's home since birth (DA while under two, homelessness, ...): marts.py.
    engine.register("an_frame_child_home", engine.sql(marts.child_home_sql(as_of)))
    filled = ", ".join(f"COALESCE(c.{name}, 0) AS {name}" for name in CHILD_HOME)
    return engine.sql(f"SELECT p.*, h.*, {filled} FROM an_frame_person p "
                      "LEFT JOIN an_frame_household h ON h.hh_household_id = p.household_id "
                      "LEFT JOIN an_frame_child_home c ON c.person_id = p.person_id")


def frame(cache: MartCache, spec: ModelSpec, as_of: date, labelled: bool = True) -> pd.DataFrame:
    """Cohort rows at `as_of` with features and (if labelled) the outcome in the horizon."""
    engine = cache.engine
    engine.register("an_frame_src", entity_table(cache, spec, as_of))
    id_column = ID_COLUMN[spec.entity]
    rule = f"{spec.rule} AS baseline_rule"
    grade = f", {spec.grade} AS baseline_grade" if spec.grade else ""
    query = f"SELECT f.*, {rule}{grade} FROM an_frame_src f WHERE {spec.cohort_where}"
    if labelled:
        start, end = spec.window(as_of)
        labels = spec.label_sql.format(start=start, end=end)
        join = "LEFT JOIN" if spec.missing_label_is_negative else "JOIN"
        query = (f"SELECT c.*, COALESCE(l.label, 0) AS label FROM ({query}) c {join} ({labels}) l "
                 f"ON l.entity_id = c.{id_column}")
    result = numeric(engine.sql(query)).to_pandas()
    result.insert(0, "entity_id", result[id_column].astype(str))
    return result.sort_values("entity_id", kind="stable").reset_index(drop=True)


def numeric(table: pa.Table) -> pa.Table:
    """Integer sums come back as DECIMAL (HUGEINT) from DuckDB: make them plain floats, so they
    are features like any other count rather than pandas objects."""
    for i, item in enumerate(table.schema):
        if pa.types.is_decimal(item.type):
            table = table.set_column(i, item.name, table.column(i).cast(pa.float64()))
    return table


def feature_columns(frame_: pd.DataFrame) -> list[str]:
    return [c for c in frame_.columns if c not in NOT_FEATURES and not c.startswith("baseline_")
            and pd.api.types.is_numeric_dtype(frame_[c])]


# The plain logistic-regression baseline sees what a simple model would: event counts over the
# 12 and 36 month windows and the entity's make-up, not the engineered recency, acceleration,
# interaction or neighbourhood features the gradient-boosted model gets.
SIMPLE_WINDOWS = ("_12m", "_36m")
SIMPLE_EXTRA = {"age_years", "imd_decile", "members", "adults", "children", "under_fives",
                "residents", "adolescents", "hh_members", "hh_adults", "hh_children",
                "hh_under_fives"}
ENGINEERED = ("_x_", "accel", "recent", "members_", "lsoa_", "per_adolescent")


def simple_columns(frame_: pd.DataFrame) -> list[str]:
    """Features of the plain logistic-regression baseline (see SIMPLE_WINDOWS)."""
    return [c for c in feature_columns(frame_)
            if (c.endswith(SIMPLE_WINDOWS) or c in SIMPLE_EXTRA)
            and not any(part in c for part in ENGINEERED)]


def matrix(frame_: pd.DataFrame, columns: list[str]) -> np.ndarray:
    return np.asarray(frame_.reindex(columns=columns).to_numpy(dtype="float64", na_value=np.nan))


def groups(frame_: pd.DataFrame, spec: ModelSpec) -> pd.DataFrame:
    """Protected and contextual groups for fairness (never model features)."""
    out = pd.DataFrame(index=frame_.index)
    if spec.entity == "person":
        out["sex"] = frame_["sex"].fillna("U")
        out["ethnicity"] = frame_["ethnicity"].fillna("Unknown")
        out["age_band"] = pd.cut(frame_["age_years"], [0, 4, 5, 11, 18, 25, 45, 65, 200],
                                 right=False).astype(str)
    elif spec.entity == "household":
        out["sex"] = frame_["hrp_sex"].fillna("U")
        out["ethnicity"] = frame_["hrp_ethnicity"].fillna("Unknown")
        out["age_band"] = pd.cut(frame_["oldest_age"], [0, 25, 45, 65, 200],
                                 right=False).astype(str)
    imd = frame_["imd_decile"]
    out["deprivation"] = np.where(imd.isna(), "unknown",
                                  np.where(imd <= 3, "most deprived 30%",
                                           np.where(imd <= 7, "middle 40%", "least deprived 30%")))
    return out
