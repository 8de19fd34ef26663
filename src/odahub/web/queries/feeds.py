"""Uploading a delivery to a feed: who may, where the file goes, and the ingest job."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from odahub.errors import DeliveryError
from odahub.governance import Principal
from odahub.web.queries import access, catalogue, jobs
from odahub.web.serving import Serving

SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def may_manage(principal: Principal, partner: str) -> bool:
    """Hub admins manage every feed; a partner's data owner manages that partner's feeds."""
    return access.has_role(principal, "hub_admin") or (
        access.has_role(principal, "data_owner") and principal.partner == partner)


def feed_for(serving: Serving, principal: Principal, name: str) -> dict[str, Any]:
    feed = catalogue.dataset(serving, name)
    if feed is None or not may_manage(principal, feed["partner"]):
        access.refuse(serving, principal, "feed.manage", name)
    return feed


def save_upload(serving: Serving, name: str, filename: str, content: bytes) -> Path:
    if not content:
        raise DeliveryError("the uploaded file is empty")
    if len(content) > serving.settings.upload_limit_bytes:
        raise DeliveryError("the uploaded file is larger than the upload limit")
    folder = serving.hub.settings.home / "uploads" / name
    folder.mkdir(parents=True, exist_ok=True)
    safe = SAFE_NAME.sub("_", Path(filename or "delivery").name).lstrip(".") or "delivery"
    path = folder / safe
    counter = 1
    while path.exists():
        path = folder / f"{counter}-{safe}"
        counter += 1
    path.write_bytes(content)
    return path


def upload(serving: Serving, principal: Principal, name: str, filename: str,
           content: bytes, background: bool = True) -> int:
    """Store the delivery and start its ingest job; returns the job id."""
    feed_for(serving, principal, name)
    path = save_upload(serving, name, filename, content)
    job_id = jobs.create(serving.hub.catalog, "upload", {"dataset": name, "file": path.name},
                         principal.username)
    access.record(serving, principal, "feed.upload", dataset=name,
                  details={"file": path.name, "bytes": len(content), "job": job_id})

    def work(progress: jobs.Progress) -> dict[str, Any]:
        return run_ingest(serving, name, path, principal.username, progress)

    if background:
        jobs.start(serving.hub.catalog, job_id, work)
    else:
        jobs.run(serving.hub.catalog, job_id, work)
    return job_id


def run_ingest(serving: Serving, name: str, path: Path, username: str,
               progress: jobs.Progress) -> dict[str, Any]:
    """Ingest one delivery with the ingest stage (the web app is the top layer: it may)."""
    from odahub.ingest.deliver import ingest_files

    # Rows are counted as they stream; the file size gives a rough total for the bar.
    expected_rows = max(1, path.stat().st_size // 80)

    seen = [0]

    def on_rows(_file: str, batch_rows: int) -> None:
        seen[0] += batch_rows
        progress(0.05 + 0.9 * min(1.0, seen[0] / expected_rows), f"{seen[0]:,} rows read")

    progress(0.02, "checking the delivery")
    result = ingest_files(serving.hub, name, [path], created_by=username, on_rows=on_rows)
    return result.as_dict()


def quarantine(serving: Serving, principal: Principal, name: str,
               limit: int = 50) -> list[dict[str, Any]]:
    """Rows the newest delivery set aside, with why: raw values, so only the feed's managers
    (hub admin, the partner's data owner) see them, and the look is audited."""
    from odahub.ingest.views import quarantine_rows

    feed_for(serving, principal, name)
    if serving.hub.lake.latest("identified", name) is None:
        return []
    _version, rows = quarantine_rows(serving.hub, name, None, limit)
    access.record(serving, principal, "feed.quarantine", dataset=name,
                  details={"rows": len(rows)})
    return rows
