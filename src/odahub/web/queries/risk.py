"""Risk lists: the analyse stage's `marts/risk_<model>` tables, ranked, filtered, explained."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from odahub.engine.sqltext import identifier as quote
from odahub.governance import Principal
from odahub.web.queries import access
from odahub.web.serving import Serving

ENTITY_COLUMNS = ("entity_id", "household_id", "person_id", "oa_code")
AREA_COLUMNS = ("oa_code", "lsoa_code", "ward_code")


@dataclass(frozen=True)
class RiskFilter:
    area: str | None = None
    tier: str | None = None
    limit: int = 50
    offset: int = 0


def models(serving: Serving) -> list[str]:
    return [name.removeprefix("risk_") for name in serving.metadata(
        "marts", lambda: serving.hub.lake.tables("marts")) if name.startswith("risk_")]


def may_see_risk(serving: Serving, principal: Principal) -> bool:
    """Risk scores are derived from partner data: shown to whoever may read some of it."""
    return bool(access.readable(serving, principal, "pseudonymised"))


def entity_column(columns: list[str]) -> str:
    return next((c for c in ENTITY_COLUMNS if c in columns), columns[0])


def explain(factors: Any) -> list[dict[str, Any]]:
    """Factors as stored (JSON text or list) -> [{factor, weight/value, ...}]."""
    if isinstance(factors, str):
        try:
            factors = json.loads(factors)
        except ValueError:
            return [{"factor": factors}]
    if isinstance(factors, dict):
        return [{"factor": k, "contribution": v} for k, v in factors.items()]
    if isinstance(factors, list):
        return [f if isinstance(f, dict) else {"factor": str(f)} for f in factors]
    return []


def risk_list(serving: Serving, principal: Principal, model: str,
              where: RiskFilter) -> dict[str, Any]:
    view = serving.view.table("marts", f"risk_{model}") if model in models(serving) else None
    if view is None or not may_see_risk(serving, principal):
        access.refuse(serving, principal, "risk.list", model)
    columns = serving.view.columns(view)
    entity = entity_column(columns)
    conditions, params = area_filter(serving, columns, entity, where.area)
    if where.tier:
        conditions.append("CAST(tier AS VARCHAR) = ?")
        params.append(where.tier)
    sql_where = " AND ".join(conditions) or "true"
    rows = serving.view.rows(
        f"SELECT CAST({quote(entity)} AS VARCHAR) AS entity_id, * FROM {view} r "
        f"WHERE {sql_where} ORDER BY rank NULLS LAST, score DESC LIMIT ? OFFSET ?",
        [*params, where.limit, where.offset])
    total = serving.view.rows(f"SELECT count(*) AS n FROM {view} r WHERE {sql_where}", params)
    tiers = serving.view.rows(f"SELECT DISTINCT CAST(tier AS VARCHAR) AS tier FROM {view} "
                              "ORDER BY 1")
    for row in rows:
        row["explanation"] = explain(row.get("factors"))
    access.record(serving, principal, "risk.list", subjects=[r["entity_id"] for r in rows],
                  details={"model": model, "area": where.area, "tier": where.tier})
    return {"model": model, "entity": entity, "total": total[0]["n"], "rows": rows,
            "tiers": [t["tier"] for t in tiers if t["tier"] is not None],
            "decisions": decisions(serving, model)}


def area_filter(serving: Serving, columns: list[str], entity: str,
                area: str | None) -> tuple[list[str], list[Any]]:
    if not area:
        return [], []
    own = [c for c in AREA_COLUMNS if c in columns]
    if own:
        return [f"(? IN ({', '.join(f'CAST(r.{c} AS VARCHAR)' for c in own)}))"], [area]
    table = {"household_id": "household_features", "person_id": "person_features"}.get(entity)
    features = serving.view.table("marts", table) if table else None
    if features is None:
        return ["false"], []
    present = [c for c in AREA_COLUMNS if c in serving.view.columns(features)]
    if not present:
        return ["false"], []
    match = " OR ".join(f"CAST(f.{c} AS VARCHAR) = ?" for c in present)
    return [f"r.{quote(entity)} IN (SELECT f.{quote(entity)} FROM {features} f WHERE {match})"], \
        [area] * len(present)


def scores_for(serving: Serving, person_id: str, household_ids: set[str]) -> list[dict[str, Any]]:
    """Every risk score about this person or one of their households, with its explanation."""
    found: list[dict[str, Any]] = []
    for model in models(serving):
        view = serving.view.table("marts", f"risk_{model}")
        if view is None:
            continue
        entity = entity_column(serving.view.columns(view))
        wanted = [person_id] if entity == "person_id" else sorted(
            i for i in household_ids if i) if entity == "household_id" else []
        scores = serving.view.lookup("marts", f"risk_{model}", entity, wanted) if (
            wanted) else None  # a binary search per id, no query plan
        for row in [] if scores is None else scores.to_pylist():
            row = {"entity_id": str(row[entity]), **row}
            row["model"] = model
            row["explanation"] = explain(row.get("factors"))
            found.append(row)
    return found


def decisions(serving: Serving, model: str) -> dict[str, dict[str, Any]]:
    """Review decisions already recorded for this model's list, by entity id."""
    from odahub.web.queries import reviews

    return reviews.latest(serving, model)
