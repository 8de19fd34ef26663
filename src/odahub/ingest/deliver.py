"""A delivery: one or more files of a feed become one immutable version (ADR 0021).

Three lake versions are written — landing (files byte for byte), quarantine and identified —
nested so that any error or kill before the end commits none of them; the identified version
commits last and is the one users see (`odahub versions`). An identical re-delivery (same
sha256) is recognised and skipped.
"""

from __future__ import annotations

import getpass
import hashlib
import mmap
import os
import shutil
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlalchemy import select

from odahub.catalog.base import utcnow
from odahub.catalog.tables.core import DatasetVersion, Job
from odahub.hub import Hub
from odahub.ingest.feeds import Feed, get_feed
from odahub.ingest.parts import part_options
from odahub.ingest.process import QUARANTINE_SCHEMA, FileResult, OnRows, Sinks, process_file
from odahub.ingest.quality import Profile
from odahub.ingest.readers.base import fail
from odahub.lake import owner, turns

CHUNK = 8 << 20


@dataclass
class DeliveryResult:
    dataset: str
    sha256: str
    files: list[FileResult] = field(default_factory=list)
    version: int | None = None
    duplicate_of: int | None = None
    seconds: float = 0.0

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def rows_accepted(self) -> int:
        return sum(f.rows_accepted for f in self.files)

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)

    def as_dict(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "version": self.version, "sha256": self.sha256,
                "duplicate_of": self.duplicate_of, "rows_read": self.rows_read,
                "rows_accepted": self.rows_accepted, "rows_quarantined": self.rows_quarantined,
                "seconds": round(self.seconds, 3), "files": [f.as_dict() for f in self.files]}


def who() -> str:
    return os.environ.get("ODAHUB_USER") or getpass.getuser()


def sha256_of(path: Path, max_line: int | None = None) -> str:
    """The file's sha256; with `max_line`, also refuse a line longer than that many bytes."""
    check_lines(path, max_line)
    digest = hashlib.sha256()
    buffer = bytearray(CHUNK)  # one buffer, reused: a fresh one per chunk faults pages
    with open(path, "rb") as handle, memoryview(buffer) as view:
        while size := handle.readinto(buffer):
            digest.update(view[:size])
    return digest.hexdigest()


def check_lines(path: Path, max_line: int | None) -> None:
    """Refuse a line longer than `max_line` bytes (if given), before any scan: CSV scanners
    slow down badly on giant lines.

    Lines inside a chunk are shorter than the chunk (half the limit), so only lines crossing
    chunk boundaries need measuring: the first and last newline of each chunk. The file is
    mapped, so those searches touch only the pages near each boundary (ADR 0084).
    """
    if max_line is None or path.stat().st_size == 0:
        return
    chunk_size = max(min(CHUNK, max_line // 2), 1)
    line_start = 0
    with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0,
                                               access=mmap.ACCESS_READ) as data:
        for offset in range(0, len(data), chunk_size):
            end_of_chunk = min(offset + chunk_size, len(data))
            first = data.find(b"\n", offset, end_of_chunk)
            end = first if first >= 0 else end_of_chunk
            if end - line_start > max_line:
                line = line_number(path, line_start)
                raise fail(f"line {line} is longer than the limit of {max_line:,} bytes "
                           "(options.max_line_bytes); is a quote unclosed?", path, line=line)
            if first >= 0:
                line_start = data.rfind(b"\n", offset, end_of_chunk) + 1


def line_number(path: Path, offset: int) -> int:
    """The number of the line starting at byte `offset` (counted only when one is refused)."""
    lines, done = 1, 0
    with open(path, "rb") as handle:
        while done < offset and (chunk := handle.read(min(CHUNK, offset - done))):
            lines += chunk.count(b"\n")
            done += len(chunk)
    return lines


def combined_sha(hashes: list[str]) -> str:
    if len(hashes) == 1:
        return hashes[0]
    return hashlib.sha256("\n".join(sorted(hashes)).encode()).hexdigest()


def find_duplicate(hub: Hub, dataset: str, sha256: str) -> int | None:
    with hub.catalog.session() as session:
        found = session.scalar(select(DatasetVersion.version).where(
            DatasetVersion.zone == "identified", DatasetVersion.name == dataset,
            DatasetVersion.sha256 == sha256))
        return int(found) if found is not None else None


class _Identical(Exception):  # noqa: N818  (not an error: unwinds the versions unwritten)
    def __init__(self, version: int) -> None:
        super().__init__(f"identical to version {version}")
        self.version = version


@turns.stage_run
def ingest_files(hub: Hub, dataset: str, paths: list[Path], *, created_by: str | None = None,
                 on_rows: OnRows | None = None, force: bool = False) -> DeliveryResult:
    """Ingest one delivery; raises DeliveryError (nothing committed) if any file fails."""
    started = time.perf_counter()
    feed = get_feed(hub, dataset)
    paths = [Path(p) for p in paths]
    for path in paths:
        if not path.is_file():
            raise fail("no such file", path)
    line_based = feed.spec.format in ("csv", "ndjson")
    limit = feed.spec.options.max_line_bytes if line_based else None
    sweep_abandoned(hub, dataset)
    workdir = hub.settings.home / "tmp" / "ingest" / uuid.uuid4().hex
    workdir.mkdir(parents=True)
    try:
        with owner.owned(workdir), ThreadPoolExecutor(max_workers=1) as pool:
            deferred = force or not may_be_identical(hub, dataset, paths)
            if deferred:
                # No committed delivery can be identical, so the hash is needed only at the
                # commit: it runs beside the work (hashlib frees the GIL), checked again there.
                for path in paths:
                    check_lines(path, limit)
                copies = copy_all(paths, workdir)
                hashes_of: Callable[[], list[str]] = pool.submit(
                    lambda: [sha256_of(p) for p in paths]).result
                result = DeliveryResult(dataset, "")
            else:
                # The landing copies (sendfile: the kernel copies, the GIL is free) are made
                # on the other core while this one hashes; a duplicate drops them.
                copying = pool.submit(copy_all, paths, workdir)
                hashes = [sha256_of(p, limit) for p in paths]
                copies = copying.result()
                result = DeliveryResult(dataset, combined_sha(hashes))
                duplicate = find_duplicate(hub, dataset, result.sha256)
                if duplicate is not None:
                    result.duplicate_of = duplicate
                    return result
                hashes_of = hashes.copy  # known already
            user = created_by or who()
            job_id = start_job(hub, dataset, paths, user, workdir)
            try:
                commit_delivery(hub, feed, paths, copies, hashes_of, result, user,
                                on_rows, workdir, check_again=deferred and not force)
            except _Identical as identical:  # committed meanwhile by another run
                result.duplicate_of, result.files = identical.version, []
                finish_job(hub, job_id, "done", None, result.as_dict())
                return result
            except BaseException as error:
                finish_job(hub, job_id, "failed", str(error)[:2000], {})
                raise
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    result.seconds = time.perf_counter() - started
    finish_job(hub, job_id, "done", None, result.as_dict())
    return result


def may_be_identical(hub: Hub, dataset: str, paths: list[Path]) -> bool:
    """Could a committed delivery hold these very bytes? Not if the files landed with every
    version (that `find_duplicate` could find) differ in size from these; when a version's
    files cannot be told, assume it could."""
    with hub.catalog.session() as session:
        rows = session.execute(select(DatasetVersion.zone, DatasetVersion.version,
                                      DatasetVersion.sha256, DatasetVersion.path,
                                      DatasetVersion.details).where(
            DatasetVersion.name == dataset,
            DatasetVersion.zone.in_(("identified", "landing")))).all()
    landing = {r.version: r for r in rows if r.zone == "landing"}
    sizes = sorted(p.stat().st_size for p in paths)
    for row in rows:
        if row.zone != "identified" or row.sha256 is None:
            continue
        landed = landing.get((row.details or {}).get("landing_version"))
        if landed is None or landed_sizes(hub, landed.path, landed.details) in (None, sizes):
            return True
    return False


def landed_sizes(hub: Hub, path: str, details: dict[str, Any] | None) -> list[int] | None:
    folder = hub.settings.lake / path
    try:
        return sorted((folder / name).stat().st_size for name in (details or {})["files"])
    except (OSError, KeyError, TypeError):
        return None


def copy_all(paths: list[Path], workdir: Path) -> list[Path]:
    """Byte-for-byte copies of the delivered files, for the landing zone."""
    copies = []
    for index, path in enumerate(paths):
        copy = workdir / f"landing-{index:05d}"
        shutil.copyfile(path, copy)
        copies.append(copy)
    return copies


def commit_delivery(hub: Hub, feed: Feed, paths: list[Path], copies: list[Path],
                    hashes: Callable[[], list[str]], result: DeliveryResult, user: str,
                    on_rows: OnRows | None, workdir: Path, check_again: bool = False) -> None:
    """Write the three versions; `hashes` gives the files' sha256 (perhaps still being
    computed), needed only before the first commit, and `check_again` looks for an
    identical delivery then (raising `_Identical`, so nothing is committed)."""
    lake, name = hub.lake, feed.spec.dataset
    common: dict[str, Any] = {"dataset_id": feed.dataset_id, "created_by": user,
                              "spec_version": feed.spec_version}
    previous = lake.latest("identified", name)
    profile = Profile()
    with lake.new_version("identified", name, **common) as identified:
        with lake.new_version("landing", name, **common) as landing:
            landed = land(landing, paths, copies)
            with lake.new_version("quarantine", name, **common) as quarantine:
                for index, path in enumerate(landed):
                    file_result = FileResult(path.name, "")
                    result.files.append(file_result)
                    sinks = Sinks(_part_writer(identified, index),
                                  _quarantine_writer(quarantine, index), profile)
                    process_file(hub.engine, feed.spec, path, path.name, file_result, sinks,
                                 workdir, on_rows)
                shas = record_hashes(hub, result, hashes(), check_again)
                for version in (identified, landing, quarantine):
                    version.stats["sha256"] = result.sha256
                quarantine.stats.update(counts(result))
            sums = "".join(f"{sha}  {p.name}\n" for sha, p in zip(shas, landed, strict=True))
            (landing.folder / "SHA256SUMS").write_text(sums)
            landing.stats.update(counts(result))
        report = profile.report(previous.details.get("quality") if previous else None)
        identified.stats.update(counts(result))
        identified.stats["details"] = {
            "sources": [f.as_dict() for f in result.files], "quality": report,
            "landing_version": landing.stats["version"],
            "quarantine_version": quarantine.stats["version"],
            "finished_at": utcnow().isoformat()}
    result.version = identified.stats["version"]


def record_hashes(hub: Hub, result: DeliveryResult, hashes: list[str],
                  check_again: bool) -> list[str]:
    """The delivery's and each file's sha256 into `result`; `_Identical` if `check_again`
    finds a committed delivery with the same."""
    result.sha256 = combined_sha(hashes)
    for file_result, sha in zip(result.files, hashes, strict=True):
        file_result.sha256 = sha
    duplicate = find_duplicate(hub, result.dataset, result.sha256) if check_again else None
    if duplicate is not None:
        raise _Identical(duplicate)
    return hashes


def _part_writer(identified: Any, index: int) -> Callable[[pa.Schema], Any]:
    """Opens (or opens again, afresh) file `index`'s part of the identified version."""
    return lambda schema: _open_part(identified, schema, f"part-{index:05d}.parquet",
                                     **part_options(schema))


def _quarantine_writer(quarantine: Any, index: int) -> Callable[[], Any]:
    return lambda: _open_part(quarantine, QUARANTINE_SCHEMA, f"part-{index:05d}.parquet")


def _open_part(version: Any, schema: pa.Schema, filename: str, **options: Any) -> Any:
    if filename in version.files:  # the file is being read again (process.Rescan)
        return version.lake.parquet_writer(version.zone, version.folder / filename, schema,
                                           **options)
    return version.batch_writer(schema, filename, **options)


def counts(result: DeliveryResult) -> dict[str, int]:
    return {"rows_read": result.rows_read, "rows_accepted": result.rows_accepted,
            "rows_quarantined": result.rows_quarantined}


def land(landing: Any, paths: list[Path], copies: list[Path]) -> list[Path]:
    """Move each file's copy in (names kept, clashes numbered); SHA256SUMS follows once the
    hashes are known (`commit_delivery`)."""
    landed: list[Path] = []
    for index, (path, copy) in enumerate(zip(paths, copies, strict=True)):
        target = landing.folder / path.name
        if target.exists() or path.name.startswith("_"):
            target = landing.folder / f"{index:03d}-{path.name.lstrip('_')}"
        try:
            os.replace(copy, target)
        except OSError:  # the lake on another file system than the hub's tmp folder
            shutil.copyfile(path, target)
        landing.files.append(target.name)
        landed.append(target)
    return landed


def sweep_abandoned(hub: Hub, dataset: str) -> None:
    """Clear what killed deliveries left: working copies in the hub's tmp folder and temporary
    folders of this dataset's lake tables (never a live run's: lake/owner.py); the jobs of
    those dead runs are marked failed."""
    gone = {p.name for p in owner.sweep_folder(hub.settings.home / "tmp" / "ingest")}
    hub.lake.sweep(only={(zone, dataset) for zone in ("landing", "identified", "quarantine")})
    if gone:  # their runs died: their jobs will never finish by themselves
        with hub.catalog.session() as session:
            for job in session.scalars(select(Job).where(Job.kind == "ingest",
                                                         Job.status == "running")):
                if (job.params or {}).get("workdir") in gone:
                    job.status, job.finished_at = "failed", utcnow()
                    job.message = "interrupted: the process ended before the delivery finished"


def start_job(hub: Hub, dataset: str, paths: list[Path], user: str, workdir: Path) -> int:
    with hub.catalog.session() as session:
        job = Job(kind="ingest", status="running", created_by=user, started_at=utcnow(),
                  params={"dataset": dataset, "files": [str(p) for p in paths],
                          "workdir": workdir.name})
        session.add(job)
        session.flush()
        return job.id


def finish_job(hub: Hub, job_id: int, status: str, message: str | None,
               result: dict[str, Any]) -> None:
    with hub.catalog.session() as session:
        job = session.get(Job, job_id)
        if job is not None:
            job.status, job.message, job.result = status, message, result
            job.finished_at, job.progress = utcnow(), 1.0 if status == "done" else job.progress
