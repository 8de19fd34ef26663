"""Datasets, versions, quality and freshness, from the catalog (metadata, not partner rows)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from odahub.catalog.tables.core import Dataset, DatasetVersion, Partner
from odahub.web.serving import Serving


def dataset_defaults(serving: Serving) -> dict[str, dict[str, Any]]:
    """Per feed: its partner code and default event type (re-read every few seconds)."""
    return serving.metadata("dataset_defaults", lambda: read_defaults(serving))


def read_defaults(serving: Serving) -> dict[str, dict[str, Any]]:
    with serving.hub.catalog.session() as session:
        rows = session.execute(select(Dataset.name, Dataset.spec, Partner.code, Partner.name)
                               .join(Partner, Dataset.partner_id == Partner.id)).all()
    return {name: {"partner": code, "partner_name": partner_name,
                   "event_type": (spec or {}).get("event_type")}
            for name, spec, code, partner_name in rows}


def datasets(serving: Serving) -> list[dict[str, Any]]:
    """Every feed with its partner, newest version and row counts."""
    return serving.metadata("datasets", lambda: read_datasets(serving))


def read_datasets(serving: Serving) -> list[dict[str, Any]]:
    with serving.hub.catalog.session() as session:
        feeds = session.execute(select(Dataset, Partner).join(Partner)
                                .order_by(Dataset.name)).all()
        newest = latest_versions(session, "identified")
        return [{
            "name": feed.name, "partner": partner.code, "partner_name": partner.name,
            "format": feed.format, "description": feed.description,
            "retention_days": feed.retention_days,
            "event_type": (feed.spec or {}).get("event_type"),
            **newest.get(feed.name, {"version": None, "rows_accepted": 0,
                                     "rows_quarantined": 0, "created_at": None}),
        } for feed, partner in feeds]


def latest_versions(session: Any, zone: str) -> dict[str, dict[str, Any]]:
    rows = session.scalars(select(DatasetVersion).where(DatasetVersion.zone == zone)
                           .order_by(DatasetVersion.version)).all()
    return {row.name: {"version": row.version, "rows_accepted": row.rows_accepted,
                       "rows_quarantined": row.rows_quarantined, "created_at": row.created_at}
            for row in rows}


def versions(serving: Serving, name: str) -> list[dict[str, Any]]:
    """Every version of a feed in every zone, newest first, with its quality details."""
    with serving.hub.catalog.session() as session:
        rows = session.scalars(select(DatasetVersion).where(DatasetVersion.name == name)
                               .order_by(DatasetVersion.created_at.desc(),
                                         DatasetVersion.version.desc())).all()
        return [{"zone": r.zone, "version": r.version, "rows_read": r.rows_read,
                 "rows_accepted": r.rows_accepted, "rows_quarantined": r.rows_quarantined,
                 "sha256": r.sha256, "created_at": r.created_at, "created_by": r.created_by,
                 "quality": (r.details or {}).get("quality")} for r in rows]


def dataset(serving: Serving, name: str) -> dict[str, Any] | None:
    return next((d for d in datasets(serving) if d["name"] == name), None)


def freshness(serving: Serving, names: list[str]) -> list[dict[str, Any]]:
    """Where a person's records come from and how recent each source is."""
    wanted = set(names)
    return [{"dataset": d["name"], "partner": d["partner_name"], "partner_code": d["partner"],
             "version": d["version"],
             "loaded_at": d["created_at"], "rows": d["rows_accepted"]}
            for d in datasets(serving) if d["name"] in wanted]
