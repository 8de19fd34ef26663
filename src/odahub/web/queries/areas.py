"""Areas: output-area polygons with risk, demand and event rates; trends; one area's profile.

Counts come only from datasets open to the principal, and counts below a threshold are
suppressed (shown as null) so that a small area never singles out a household.
"""

from __future__ import annotations

import json
from typing import Any

from odahub.governance import Principal
from odahub.web.index import readable_records
from odahub.web.queries import access
from odahub.web.serving import Serving

SMALL_COUNT = 5


def events_sql(serving: Serving, principal: Principal) -> str | None:
    readable = access.readable(serving, principal, "pseudonymised")
    index = serving.index.table("pseudonymised")
    if not readable or index is None:
        return None
    return f"SELECT * FROM {readable_records(index, 'pseudonymised', readable)}"


def area_measures(serving: Serving, principal: Principal) -> dict[str, dict[str, Any]]:
    """Per output area: events in open datasets (suppressed when small) and mart measures."""
    found: dict[str, dict[str, Any]] = {}
    events = events_sql(serving, principal)
    if events is not None:
        for row in serving.view.rows(
                f"SELECT oa_code, count(*) AS events, count(DISTINCT event_type) AS event_types "
                f"FROM ({events}) WHERE oa_code IS NOT NULL GROUP BY oa_code"):
            small = row["events"] < SMALL_COUNT
            found[row["oa_code"]] = {"events": None if small else row["events"]}
    features = serving.view.table("marts", "oa_features")
    if features is not None and events is not None:
        numeric = numeric_columns(serving, features)[:6]
        if numeric:
            cols = ", ".join(f'"{c}"' for c in numeric)
            for row in serving.view.rows(f"SELECT oa_code, {cols} FROM {features}"):
                found.setdefault(str(row.pop("oa_code")), {}).update(row)
    return found


def numeric_columns(serving: Serving, view: str) -> list[str]:
    rows = serving.view.rows(f"DESCRIBE SELECT * FROM {view}")
    numeric = ("INTEGER", "BIGINT", "DOUBLE", "FLOAT", "DECIMAL", "HUGEINT", "SMALLINT")
    return [r["column_name"] for r in rows if str(r["column_type"]).startswith(numeric)
            and r["column_name"] not in ("as_of",)]


def geojson(serving: Serving, principal: Principal) -> dict[str, Any]:
    """The output areas as a GeoJSON FeatureCollection with measures in the properties."""
    table = serving.view.table("reference", "output_areas")
    measures = area_measures(serving, principal)
    access.record(serving, principal, "areas.map", details={"areas": len(measures)})
    if table is None:
        return {"type": "FeatureCollection", "features": []}
    columns = serving.view.columns(table)
    geometry = next((c for c in ("geometry", "geometry_json", "geojson") if c in columns), None)
    if geometry is None:
        return {"type": "FeatureCollection", "features": []}
    properties = [c for c in columns if c != geometry]
    features = []
    for row in serving.view.rows(f"SELECT * FROM {table}"):
        shape = row.pop(geometry)
        props = {k: row[k] for k in properties}
        props.update(measures.get(str(props.get("oa_code")), {}))
        features.append({"type": "Feature", "properties": props,
                         "geometry": json.loads(shape) if isinstance(shape, str) else shape})
    return {"type": "FeatureCollection", "features": features}


def trends(serving: Serving, principal: Principal,
           oa_code: str | None = None) -> list[dict[str, Any]]:
    """Events per month and event type (suppressed below the small-count threshold)."""
    events = events_sql(serving, principal)
    if events is None:
        return []
    where, params = ("WHERE oa_code = ?", [oa_code]) if oa_code else ("", [])
    return serving.view.rows(
        f"SELECT strftime(date_trunc('month', event_date), '%Y-%m') AS month, event_type, "
        f"count(*) AS events FROM ({events}) {where} "
        f"GROUP BY ALL HAVING count(*) >= {SMALL_COUNT} ORDER BY month, event_type", params)


def profile(serving: Serving, principal: Principal, oa_code: str) -> dict[str, Any]:
    """One output area: its reference data, mart features, risk ranks and trends."""
    table = serving.view.table("reference", "output_areas")
    if table is None:
        access.refuse(serving, principal, "areas.profile", oa_code)
    columns = [c for c in serving.view.columns(table) if c not in ("geometry", "geometry_json")]
    rows = serving.view.rows(f"SELECT {', '.join(columns)} FROM {table} WHERE oa_code = ?",
                             [oa_code])
    if not rows:
        access.refuse(serving, principal, "areas.profile", oa_code)
    features = serving.view.table("marts", "oa_features")
    measures = area_measures(serving, principal).get(oa_code, {})
    feature_row: dict[str, Any] = {}
    if features is not None and access.readable(serving, principal, "pseudonymised"):
        found = serving.view.rows(f"SELECT * FROM {features} WHERE oa_code = ?", [oa_code])
        feature_row = found[0] if found else {}
    access.record(serving, principal, "areas.profile", details={"oa_code": oa_code})
    return {"area": rows[0], "measures": measures, "features": feature_row,
            "trends": trends(serving, principal, oa_code)}
