"""Read-side queries behind `versions`, `quarantine` and `quality` (and the web app)."""

from __future__ import annotations

from typing import Any

from odahub.catalog.tables.core import DatasetVersion
from odahub.errors import NotFound
from odahub.hub import Hub
from odahub.ingest.feeds import get_feed


def version_rows(hub: Hub, dataset: str) -> list[dict[str, Any]]:
    """Every committed delivery of a dataset, oldest first."""
    get_feed(hub, dataset)
    return [{
        "version": v.version, "rows_read": v.rows_read, "rows_accepted": v.rows_accepted,
        "rows_quarantined": v.rows_quarantined, "sha256": v.sha256,
        "created_at": v.created_at.isoformat(),
        "started_at": v.started_at.isoformat() if v.started_at else None,
        "created_by": v.created_by, "spec_version": v.spec_version,
        "landing_version": v.details.get("landing_version"),
        "quarantine_version": v.details.get("quarantine_version"),
        "files": v.details.get("sources", []),
    } for v in hub.lake.versions("identified", dataset)]


def pick_version(hub: Hub, dataset: str, version: int | None) -> DatasetVersion:
    get_feed(hub, dataset)
    versions = hub.lake.versions("identified", dataset)
    if not versions:
        raise NotFound(f"{dataset} has no versions yet; ingest a delivery first")
    if version is None:
        return versions[-1]
    for candidate in versions:
        if candidate.version == version:
            return candidate
    raise NotFound(f"{dataset} has no version {version} (versions: "
                   f"{', '.join(str(v.version) for v in versions)})")


def quarantine_rows(hub: Hub, dataset: str, version: int | None,
                    limit: int) -> tuple[int, list[dict[str, Any]]]:
    chosen = pick_version(hub, dataset, version)
    number = chosen.details.get("quarantine_version")
    for candidate in hub.lake.versions("quarantine", dataset):
        if candidate.version == number:
            return chosen.version, hub.lake.read_table(candidate).slice(0, limit).to_pylist()
    return chosen.version, []


def quality_of(hub: Hub, dataset: str, version: int | None) -> tuple[int, dict[str, Any]]:
    chosen = pick_version(hub, dataset, version)
    report: dict[str, Any] = chosen.details.get("quality") or {}
    return chosen.version, report
