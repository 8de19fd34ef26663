"""Versioned, atomic writes into lake zones.

A version is written into a hidden temporary folder, then made visible by one rename plus one
catalog row. Readers only ever see versions the catalog lists, so a killed writer leaves nothing
half-visible; its temporary folder is swept up by `sweep()` once its owner lock shows the
writer is gone (lake/owner.py).
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError as SqlIntegrityError

from odahub.catalog import Catalog
from odahub.catalog.base import utcnow
from odahub.catalog.tables.core import DatasetVersion
from odahub.config import ZONES, Settings
from odahub.errors import NotFound, OdahubError
from odahub.lake import owner, sealed

SEALED_ZONES = frozenset({"identified", "quarantine"})
TMP_PREFIX = "_tmp-"


class KeyProvider(Protocol):
    """Gives data-encryption keys for sealed zones; implemented by privacy's key store or a KMS."""

    def zone_key(self, zone: str) -> tuple[str, bytes]:
        """The (key id, 32-byte key) to seal new files of a zone with."""

    def key_by_id(self, key_id: str) -> bytes:
        """A key by id, for opening files sealed under it (including retired keys)."""


@dataclass
class VersionWriter:
    """Handed to the code writing a version; everything goes into `folder`."""

    zone: str
    name: str
    folder: Path
    lake: Lake
    stats: dict[str, Any] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    def write_table(self, table: pa.Table, filename: str = "part-0.parquet") -> Path:
        path = self.folder / filename
        self.lake.write_parquet(self.zone, path, table)
        self.files.append(filename)
        return path

    def batch_writer(self, schema: pa.Schema, filename: str = "part-0.parquet",
                     **options: Any) -> Any:
        """A ParquetWriter (sealed where the zone requires it) for streaming record batches;
        `options` are pyarrow writer options (see `sealed.writer`)."""
        self.files.append(filename)
        return self.lake.parquet_writer(self.zone, self.folder / filename, schema, **options)


class Lake:
    """Zones under `$ODAHUB_HOME/lake`; sealed zones are encrypted with keys held apart."""

    def __init__(
        self, settings: Settings, catalog: Catalog, keys: KeyProvider | None = None
    ) -> None:
        self.settings = settings
        self.catalog = catalog
        self.keys = keys

    # -- layout --------------------------------------------------------------------------
    def create_zones(self) -> None:
        for zone in ZONES:
            self.settings.zone(zone).mkdir(parents=True, exist_ok=True)

    def table_dir(self, zone: str, name: str) -> Path:
        return self.settings.zone(zone) / name

    def version_dir(self, zone: str, name: str, version: int) -> Path:
        return self.table_dir(zone, name) / f"v{version:06d}"

    # -- catalog queries -----------------------------------------------------------------
    def versions(self, zone: str, name: str) -> list[DatasetVersion]:
        with self.catalog.session() as session:
            query = (
                select(DatasetVersion)
                .where(DatasetVersion.zone == zone, DatasetVersion.name == name)
                .order_by(DatasetVersion.version)
            )
            return list(session.scalars(query))

    def latest(self, zone: str, name: str) -> DatasetVersion | None:
        versions = self.versions(zone, name)
        return versions[-1] if versions else None

    def require_latest(self, zone: str, name: str) -> DatasetVersion:
        version = self.latest(zone, name)
        if version is None:
            raise NotFound(f"no version of {name!r} in the {zone} zone yet")
        return version

    def tables(self, zone: str) -> list[str]:
        with self.catalog.session() as session:
            query = select(DatasetVersion.name).where(DatasetVersion.zone == zone).distinct()
            return sorted(session.scalars(query))

    # -- writing -------------------------------------------------------------------------
    @contextmanager
    def new_version(
        self,
        zone: str,
        name: str,
        *,
        dataset_id: int | None = None,
        created_by: str | None = None,
        **columns: Any,
    ) -> Iterator[VersionWriter]:
        """Write a version; it becomes visible only if the block finishes without error.

        Extra keyword arguments (sha256, rows_read, spec_version, details...) and anything the
        block puts into `writer.stats` are stored on the catalog row.
        """
        base = self.table_dir(zone, name)
        base.mkdir(parents=True, exist_ok=True)
        started = utcnow()
        tmp = base / f"{TMP_PREFIX}{uuid.uuid4().hex}"
        tmp.mkdir()
        writer = VersionWriter(zone=zone, name=name, folder=tmp, lake=self)
        try:
            with owner.owned(tmp):  # so sweep() can tell a killed writer's folder from ours
                yield writer
                self._commit(writer, dataset_id, created_by, started,
                             {**columns, **writer.stats})
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)

    def _commit(
        self,
        writer: VersionWriter,
        dataset_id: int | None,
        created_by: str | None,
        started: Any,
        columns: dict[str, Any],
    ) -> None:
        details = dict(columns.pop("details", {}) or {})
        unknown = {k: columns.pop(k) for k in list(columns) if not hasattr(DatasetVersion, k)}
        details.update(unknown)
        details.setdefault("files", writer.files)
        for _attempt in range(5):
            with self.catalog.session() as session:
                current = session.scalar(
                    select(func.max(DatasetVersion.version)).where(
                        DatasetVersion.zone == writer.zone, DatasetVersion.name == writer.name
                    )
                )
                number = (current or 0) + 1
                final = self.version_dir(writer.zone, writer.name, number)
                if final.exists():  # left by a run killed after rename, before its catalog row
                    shutil.rmtree(final)
                manifest = {"zone": writer.zone, "name": writer.name, "version": number,
                            "files": writer.files, **{k: str(v) for k, v in columns.items()}}
                (writer.folder / "_manifest.json").write_text(json.dumps(manifest, indent=2))
                owner.release_name(writer.folder)
                os.rename(writer.folder, final)
                session.add(DatasetVersion(
                    dataset_id=dataset_id, zone=writer.zone, name=writer.name, version=number,
                    path=str(final.relative_to(self.settings.lake)), created_by=created_by,
                    started_at=started, details=details, **columns,
                ))
                try:
                    session.flush()
                except SqlIntegrityError:
                    session.rollback()
                    os.rename(final, writer.folder)  # another writer took this number; retry
                    continue
                writer.stats["version"] = number
                return
        raise OdahubError(f"could not commit a new version of {writer.name!r}: too much contention")

    def sweep(self, grace_seconds: float = owner.UNLOCKED_GRACE_SECONDS,
              only: set[tuple[str, str]] | None = None,
              zones: tuple[str, ...] = ZONES) -> list[Path]:
        """Remove temporary folders and uncatalogued versions left by killed writers.

        A temporary folder goes once no live process holds its owner lock (lake/owner.py); an
        uncatalogued version folder, or a temporary one without a lock, once it is older than
        `grace_seconds` (a live commit renames before it catalogues). `only`: just these
        (zone, table) pairs; `zones`: just these zones."""
        removed: list[Path] = []
        for zone in zones:
            root = self.settings.zone(zone)
            if not root.exists():
                continue
            for table in (p for p in root.iterdir() if p.is_dir()):
                if only is not None and (zone, table.name) not in only:
                    continue
                known = {v.version for v in self.versions(zone, table.name)}
                for child in table.iterdir():
                    orphan_version = child.name.startswith("v") and child.name[1:].isdigit() and (
                        int(child.name[1:]) not in known)
                    if ((child.name.startswith(TMP_PREFIX)
                         and owner.abandoned(child, grace_seconds))
                            or (orphan_version and owner.older_than(child, grace_seconds))):
                        if child.is_dir():
                            shutil.rmtree(child, ignore_errors=True)
                        else:
                            child.unlink(missing_ok=True)
                        removed.append(child)
        return removed

    # -- files ---------------------------------------------------------------------------
    def path_of(self, version: DatasetVersion) -> Path:
        return self.settings.lake / version.path

    def files_of(self, version: DatasetVersion) -> list[Path]:
        return sorted(self.path_of(version).glob("*.parquet"))

    def write_parquet(self, zone: str, path: Path, table: pa.Table) -> None:
        with self.parquet_writer(zone, path, table.schema) as out:
            out.write_table(table)

    def parquet_writer(self, zone: str, path: Path, schema: pa.Schema, **options: Any) -> Any:
        return sealed.writer(path, schema, self._key_for(zone), **options)

    def read_table(self, version: DatasetVersion, columns: list[str] | None = None) -> pa.Table:
        """Read a whole version (decrypting a sealed zone in memory, never on disk)."""
        tables = [sealed.read(path, self._opener(), columns) for path in self.files_of(version)]
        if not tables:
            return pa.table({})
        return pa.concat_tables(tables, promote_options="default")

    def read_latest(self, zone: str, name: str, columns: list[str] | None = None) -> pa.Table:
        return self.read_table(self.require_latest(zone, name), columns)

    def _key_for(self, zone: str) -> tuple[str, bytes] | None:
        if zone not in SEALED_ZONES:
            return None
        if self.keys is None:
            raise OdahubError(f"the {zone} zone is sealed but no key store was given to the lake")
        return self.keys.zone_key(zone)

    def _opener(self) -> sealed.KeyLookup | None:
        return self.keys.key_by_id if self.keys is not None else None
