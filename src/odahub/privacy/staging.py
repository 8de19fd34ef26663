"""Several new table versions made visible together, in one catalog transaction.

`Lake.new_version` publishes one table at a time. A key rotation must not: readers would see some
tables under the new key and some under the old. So versions are written into hidden folders
first and published together, with the key switch, by one commit. Folders renamed into place
but never catalogued (a failed commit) are invisible and swept by `Lake.sweep()`.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from odahub.catalog.base import utcnow
from odahub.catalog.tables.core import DatasetVersion
from odahub.hub import Hub
from odahub.lake.store import TMP_PREFIX


@dataclass
class Staged:
    zone: str
    name: str
    folder: Path
    row: dict[str, Any]
    files: list[str] = field(default_factory=list)
    version: int | None = None


def stage(hub: Hub, zone: str, name: str, table: pa.Table, **row: Any) -> Staged:
    """Write `table` as a not-yet-visible version; `row` holds the catalog columns."""
    base = hub.lake.table_dir(zone, name)
    base.mkdir(parents=True, exist_ok=True)
    folder = base / f"{TMP_PREFIX}{uuid.uuid4().hex}"
    folder.mkdir()
    hub.lake.write_parquet(zone, folder / "part-0.parquet", table)
    return Staged(zone, name, folder, {"started_at": utcnow(), **row}, ["part-0.parquet"])


def discard(staged: list[Staged]) -> None:
    for item in staged:
        shutil.rmtree(item.folder, ignore_errors=True)


def _place(hub: Hub, session: Session, item: Staged) -> Path:
    current = session.scalar(select(func.max(DatasetVersion.version)).where(
        DatasetVersion.zone == item.zone, DatasetVersion.name == item.name))
    item.version = (current or 0) + 1
    final = hub.lake.version_dir(item.zone, item.name, item.version)
    if final.exists():  # left by a run killed after rename, before its catalog row
        shutil.rmtree(final)
    row = dict(item.row)
    details = {**(row.pop("details", None) or {}), "files": item.files}
    manifest = {"zone": item.zone, "name": item.name, "version": item.version,
                "files": item.files, **{k: str(v) for k, v in row.items()}}
    (item.folder / "_manifest.json").write_text(json.dumps(manifest, indent=2))
    os.rename(item.folder, final)
    session.add(DatasetVersion(zone=item.zone, name=item.name, version=item.version,
                               path=str(final.relative_to(hub.lake.settings.lake)),
                               details=details, **row))
    return final


def publish(hub: Hub, staged: list[Staged], also: Callable[[Session], None]) -> None:
    """Catalogue every staged version and run `also` (e.g. the key switch) in one commit."""
    placed: list[Path] = []
    try:
        with hub.catalog.session() as session:
            for item in staged:
                placed.append(_place(hub, session, item))
            also(session)
            session.flush()
    except BaseException:
        for path in placed:  # uncatalogued, so never visible; remove rather than wait for sweep
            shutil.rmtree(path, ignore_errors=True)
        discard(staged)
        raise
