"""Remove records from every zone of the lake, generically, by the keys the contracts fix.

Stages hand over through zones with known key columns (docs/developer/contracts.md): record-level
tables carry `dataset` + `record_id` (pair tables the same with `_l`/`_r`, or `unique_id_l`/`_r`
as `dataset:record_id`), person-level tables `person_id`, quarantine rows `source_file` +
`source_row`. So one routine can take records out everywhere: the latest version
of each table is rewritten without them (a new immutable version), and the files of every older
version that held them are deleted. Landing files (bytes as delivered, any format) that held them
are deleted whole; the identified zone remains the record of what was received (ADR 0052).

Stages may also keep working files in a zone's `_working` folder (Parquet files with the same key
columns, replaced whole, never versioned: the link stage's prepared input, ADR 0076); each is
rewritten without the records too.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from odahub.catalog.tables.core import DatasetVersion
from odahub.catalog.tables.governance import DataRemoval
from odahub.hub import Hub
from odahub.lake import sealed
from odahub.lake.store import TMP_PREFIX

RECORD_ZONES = ("identified", "pseudonymised")
DERIVED_ZONES = ("linked", "marts")
PERSON_COLUMNS = ("person_id", "person_id_l", "person_id_r", "old_id", "new_id")
# The link stage names a record `dataset:record_id` in its scored pairs (linked/pairs).
UNIQUE_ID_COLUMNS = ("unique_id", "unique_id_l", "unique_id_r")
WORKING = "_working"  # a zone's folder of stage working files (not lake tables)
STALE_SECONDS = 3600  # a working file still being written is younger than this


@dataclass
class Targets:
    """What to remove: records per dataset, persons, and rows of quarantine by source position."""

    records: dict[str, set[str]] = field(default_factory=dict)
    persons: set[str] = field(default_factory=set)
    source_rows: dict[str, set[tuple[str, int]]] = field(default_factory=dict)
    landing_files: dict[str, set[str]] = field(default_factory=dict)

    def empty(self) -> bool:
        return not (any(self.records.values()) or self.persons)


def _in(column: pa.ChunkedArray, values: Iterable[object]) -> pa.ChunkedArray:
    wanted = pa.array(sorted({str(v) for v in values}), pa.string())
    return pc.fill_null(pc.is_in(pc.cast(column, pa.string()), value_set=wanted), False)


def doomed_mask(table: pa.Table, zone: str, name: str, targets: Targets) -> pa.ChunkedArray | None:
    """True for the rows of `table` that must go; None when the table has no key we know."""
    names = set(table.column_names)
    masks = []
    if "record_id" in names:
        if "dataset" in names:
            for dataset, record_ids in targets.records.items():
                masks.append(pc.and_(pc.equal(pc.cast(table["dataset"], pa.string()), dataset),
                                     _in(table["record_id"], record_ids)))
        elif name in targets.records:
            masks.append(_in(table["record_id"], targets.records[name]))
    for suffix in ("_l", "_r"):  # pair tables (linkage candidates, review queue)
        if {f"dataset{suffix}", f"record_id{suffix}"} <= names:
            for dataset, record_ids in targets.records.items():
                masks.append(pc.and_(
                    pc.equal(pc.cast(table[f"dataset{suffix}"], pa.string()), dataset),
                    _in(table[f"record_id{suffix}"], record_ids)))
    if any(targets.records.values()):
        unique_ids = {f"{d}:{r}" for d, ids in targets.records.items() for r in ids}
        masks += [_in(table[c], unique_ids) for c in UNIQUE_ID_COLUMNS if c in names]
    if targets.persons:
        masks += [_in(table[c], targets.persons) for c in PERSON_COLUMNS if c in names]
    if zone == "quarantine" and {"source_file", "source_row"} <= names:
        positions = targets.source_rows.get(name, set())
        if positions:
            keys = pc.binary_join_element_wise(
                pc.cast(table["source_file"], pa.string()),
                pc.cast(table["source_row"], pa.string()), "\x1f")
            masks.append(_in(keys, {f"{f}\x1f{r}" for f, r in positions}))
    if not masks:
        return None
    combined = masks[0]
    for mask in masks[1:]:
        combined = pc.or_(combined, mask)
    return combined


def remove(hub: Hub, targets: Targets, *, reason: str, run: str | None = None) -> list[
        dict[str, object]]:
    """Take the targets out of every zone; record and return what was removed per table."""
    run = run or uuid.uuid4().hex[:12]
    removals: list[dict[str, object]] = []
    for zone in ("quarantine", *RECORD_ZONES, *DERIVED_ZONES):
        for name in hub.lake.tables(zone):
            removal = _purge_table(hub, zone, name, targets, reason)
            if removal is not None:
                removals.append(removal)
    for zone in RECORD_ZONES:
        removals += _purge_working(hub, zone, targets)
    for name in hub.lake.tables("landing"):
        removal = _purge_landing(hub, name, targets.landing_files.get(name, set()))
        if removal is not None:
            removals.append(removal)
    with hub.catalog.session() as session:
        for removal in removals:
            session.add(DataRemoval(run=run, reason=reason, **removal))  # type: ignore[arg-type]
    return removals


def _purge_table(hub: Hub, zone: str, name: str, targets: Targets,
                 reason: str) -> dict[str, object] | None:
    versions = hub.lake.versions(zone, name)
    if not versions:
        return None
    latest, removed, new_version = versions[-1], 0, None
    table = hub.lake.read_table(latest)
    mask = doomed_mask(table, zone, name, targets) if table.num_columns else None
    if mask is not None and pc.any(mask).as_py():
        kept = table.filter(pc.invert(mask))
        removed = table.num_rows - kept.num_rows
        new_version = _write_without(hub, latest, kept, reason, removed)
    purged = [v.version for v in versions if _holds_targets(hub, v, zone, name, targets)]
    for version in versions:
        if version.version in purged:
            _delete_files(hub, version, reason)
    if not removed and not purged:
        return None
    return {"zone": zone, "name": name, "rows_removed": removed, "new_version": new_version,
            "purged_versions": purged}


def _write_without(hub: Hub, latest: DatasetVersion, kept: pa.Table, reason: str,
                   removed: int) -> int:
    with hub.lake.new_version(
        latest.zone, latest.name, dataset_id=latest.dataset_id,
        created_by=f"governance:{reason}", rows_read=kept.num_rows, rows_accepted=kept.num_rows,
        spec_version=latest.spec_version, source_version=latest.source_version,
        details={"derived_from": latest.version, "removed_rows": removed, "reason": reason},
    ) as writer:
        writer.write_table(kept)
    return int(writer.stats["version"])


def _holds_targets(hub: Hub, version: DatasetVersion, zone: str, name: str,
                   targets: Targets) -> bool:
    files = hub.lake.files_of(version)
    if not files:
        return False
    table = hub.lake.read_table(version)
    mask = doomed_mask(table, zone, name, targets) if table.num_columns else None
    return mask is not None and bool(pc.any(mask).as_py())


def _delete_files(hub: Hub, version: DatasetVersion, reason: str) -> None:
    folder = hub.lake.path_of(version)
    for path in folder.iterdir():
        if path.is_file() and path.name != "_manifest.json":
            path.unlink()
    (folder / "_purged.json").write_text(json.dumps({"reason": reason, "all_files": True}))


def _purge_working(hub: Hub, zone: str, targets: Targets) -> list[dict[str, object]]:
    """Rewrite each working file of the zone without the targets (in place, atomically)."""
    folder = hub.settings.zone(zone) / WORKING
    if not folder.is_dir():
        return []
    keys = hub.lake.keys
    removals: list[dict[str, object]] = []
    for path in sorted(folder.glob("*.parquet")):
        if path.name.startswith(TMP_PREFIX):
            # a writer killed mid-way left it: never read, but it may hold the targets
            if time.time() - path.stat().st_mtime > STALE_SECONDS:
                path.unlink(missing_ok=True)
            continue
        table = sealed.read(path, keys.key_by_id if keys is not None else None)
        mask = doomed_mask(table, zone, path.stem, targets)
        if mask is None or not pc.any(mask).as_py():
            continue
        kept = table.filter(pc.invert(mask))
        temporary = folder / f"{TMP_PREFIX}{uuid.uuid4().hex}.parquet"
        hub.lake.write_parquet(zone, temporary, kept)
        os.replace(temporary, path)
        removals.append({"zone": zone, "name": f"{WORKING}/{path.stem}",
                         "rows_removed": table.num_rows - kept.num_rows, "new_version": None,
                         "purged_versions": []})
    return removals


def _purge_landing(hub: Hub, name: str, files: set[str]) -> dict[str, object] | None:
    """Delete delivered files that held the targets, in every landing version."""
    if not files:
        return None
    wanted = {file.rsplit("/", 1)[-1] for file in files}
    purged = []
    for version in hub.lake.versions("landing", name):
        folder = hub.lake.path_of(version)
        doomed = [p for p in folder.rglob("*") if p.is_file() and p.name in wanted]
        for path in doomed:
            path.unlink()
        if doomed:
            purged.append(version.version)
            (folder / "_purged.json").write_text(json.dumps(
                {"files": sorted(p.name for p in doomed)}))
    if not purged:
        return None
    return {"zone": "landing", "name": name, "rows_removed": 0, "new_version": None,
            "purged_versions": purged}
