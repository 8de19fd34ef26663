"""Explanations: SHAP contributions per prediction, in plain words beside the evidence."""

from __future__ import annotations

import json
from datetime import date, timedelta

import numpy as np
import pandas as pd
import shap

from odahub.analyse.marts import NO_CONTACT_DAYS, event_types
from odahub.analyse.train import RiskModel

WINDOW_WORDS = {"12m": "in the last 12 months", "36m": "in the last 3 years"}
SPECIAL = {
    "age_years": "age", "imd_decile": "area deprivation decile (1 = most deprived)",
    "known_to_services": "known to any service", "events_total": "records across all agencies",
    "agencies_12m": "agencies involved in the last 12 months",
    "agencies_ever": "agencies ever involved", "dash_max_12m": "highest DASH grade in 12 months",
    "dash_high_36m": "high-risk DASH incidents in 3 years",
    "attendance_min_12m": "lowest school attendance % in 12 months", "members": "household size",
    "adults": "adults in the household", "children": "children", "under_fives": "under-fives",
    "youngest_age": "age of the youngest member", "oldest_age": "age of the oldest member",
    "moves_36m": "moves between areas in 3 years", "residents": "residents",
    "adolescents": "residents aged 10-17", "known_residents": "residents known to services",
    "found_here_36m": "missing persons found here in 3 years",
    **{  # domestic abuse from linked police data (marts.da_aggregates)
        "da_perpetrator_decayed": "DA incidents as the perpetrator (recent weigh more)",
        "da_victim_decayed": "DA incidents as the victim (recent weigh more)",
        "violent_crime_decayed": "violent offences (recent weigh more)",
        "violent_crime_days_since": "days since the last violent offence",
        "violent_member_decayed": "violent offences of the most violent member",
        "dash_last": "DASH grade of the last DA incident",
        "dash_rise": "last DASH grade above the 3-year average (escalating)",
        "dash_high_recent": "high-risk DASH incidents in recent months",
        "dash_high_days_since": "days since the last high-risk DASH incident",
        "da_gap_days": "average days between DA incidents in 3 years",
        "da_elsewhere_decayed": "members' DA incidents in other households",
        "members_left_12m": "members who left the household in 12 months (separation)",
        "members_joined_12m": "members who joined the household in 12 months",
        "separation_days_since": "days since a member left or joined",
        "violence_x_da_recent": "violent offending with recent DA",
        "separation_x_da_decayed": "a separation in a household with DA history",
        "separation_x_under_twos": "a separation with a child under two",
    },
}


def words(feature: str) -> str:
    """A feature name in plain words (schema-driven: event types come from the model YAML)."""
    prefix = ""
    if feature.startswith("hh_"):
        prefix, feature = "household: ", feature[3:]
    if feature.startswith("child_"):
        prefix, feature = prefix + "children's ", feature[6:]
    if feature in SPECIAL:
        return prefix + SPECIAL[feature]
    if feature.startswith("agency_"):
        agency = feature.removeprefix("agency_").removesuffix("_12m")
        return f"{prefix}contacts with {agency} in the last 12 months"
    for kind in sorted(event_types(), key=len, reverse=True):
        if feature.startswith(kind + "_"):
            label = kind.replace("_", " ")
            suffix = feature[len(kind) + 1:]
            if suffix in WINDOW_WORDS:
                return f"{prefix}{label} records {WINDOW_WORDS[suffix]}"
            if suffix == "decayed":
                return f"{prefix}{label} history (older records count less)"
            if suffix == "days_since":
                return f"{prefix}time since the last {label} record"
    return prefix + feature.replace("_", " ")


def evidence(feature: str, value: float, as_of: date) -> str:
    """The fact behind a factor: a count, or the date of the last record."""
    if not np.isfinite(value):
        return "not recorded"
    if feature.endswith("_days_since"):
        if value >= NO_CONTACT_DAYS:
            return "never recorded"
        return f"last on {(as_of - timedelta(days=int(value))).isoformat()}"
    if feature.endswith("_decayed"):
        return f"weighted count {value:.2f}"
    return f"{value:g}"


def contributions(model: RiskModel, x: np.ndarray) -> np.ndarray:
    """SHAP values (log-odds) for a whole batch at once with the tree explainer."""
    explainer = shap.TreeExplainer(model.booster.booster_)
    values = explainer.shap_values(pd.DataFrame(x, columns=model.features))
    if isinstance(values, list):  # older SHAP returns one array per class
        values = values[-1]
    return np.asarray(values)


def top_factors(model: RiskModel, x: np.ndarray, as_of: date, top: int = 3) -> list[str]:
    """JSON per row: the `top` features pushing the risk up, with plain words and evidence."""
    values = contributions(model, x)
    order = np.argsort(-values, axis=1)[:, :top]
    rows: list[str] = []
    for i, picks in enumerate(order):  # only listed rows are explained (hundreds, not millions)
        factors = [{"feature": model.features[j], "words": words(model.features[j]),
                    "evidence": evidence(model.features[j], float(x[i, j]), as_of),
                    "contribution": round(float(values[i, j]), 4)}
                   for j in picks if values[i, j] > 0]
        rows.append(json.dumps(factors))
    return rows


def global_importance(model: RiskModel, x: np.ndarray, top: int = 15) -> list[dict[str, object]]:
    """Mean absolute SHAP value per feature over a sample."""
    values = np.abs(contributions(model, x)).mean(axis=0)
    order = np.argsort(-values)[:top]
    return [{"feature": model.features[j], "words": words(model.features[j]),
             "mean_abs_shap": round(float(values[j]), 4)} for j in order]
