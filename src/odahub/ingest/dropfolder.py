"""The drop folder: what an SFTP server writes into, one subfolder per feed.

A file is taken once complete: not a partial-upload name (*.part, *.tmp, *.filepart, dot
files), its size and modification time unchanged for `settle` seconds, and not locked by a
writer. Each file is one delivery; afterwards it moves to `<feed>/.done/`, or to
`<feed>/.failed/` with a `<name>.reason.txt` saying why. Same sha256 as an ingested version:
recognised, skipped and moved to `.done/`.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from odahub.errors import OdahubError
from odahub.hub import Hub
from odahub.ingest.deliver import DeliveryResult, ingest_files
from odahub.ingest.process import OnRows

PARTIAL_SUFFIXES = (".part", ".tmp", ".filepart", ".partial", ".crdownload", ".lock")


@dataclass
class Outcome:
    feed: str
    file: str
    status: str  # ingested | duplicate | failed
    message: str
    result: DeliveryResult | None = None


def candidates(folder: Path) -> Iterator[tuple[str, Path]]:
    for feed_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        if feed_dir.name.startswith("."):
            continue
        for path in sorted(feed_dir.iterdir()):
            if path.is_file() and not path.name.startswith((".", "~")) and (
                    not path.name.lower().endswith(PARTIAL_SUFFIXES)):
                yield feed_dir.name, path


def is_locked(path: Path) -> bool:
    """True when another process holds a lock on the file (a writer still busy)."""
    try:
        with open(path, "rb") as handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    except OSError:
        return True
    return False


def complete_files(folder: Path, settle: float) -> list[tuple[str, Path]]:
    """Files whose size and mtime did not change over `settle` seconds and are not locked."""
    first = {path: _stamp(path) for _feed, path in candidates(folder)}
    if settle > 0 and first:
        time.sleep(settle)
    ready = []
    for feed, path in candidates(folder):
        stamp = _stamp(path)
        if stamp is not None and first.get(path) == stamp and not is_locked(path):
            ready.append((feed, path))
    return ready


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        status = path.stat()
    except FileNotFoundError:
        return None
    return status.st_size, status.st_mtime_ns


def move_aside(path: Path, where: str, reason: str | None = None) -> Path:
    target_dir = path.parent / where
    target_dir.mkdir(exist_ok=True)
    target = target_dir / path.name
    if target.exists():  # keep earlier copies: stamp the newcomer
        target = target_dir / f"{time.strftime('%Y%m%dT%H%M%S')}-{path.name}"
    shutil.move(str(path), target)
    if reason is not None:
        target.with_name(target.name + ".reason.txt").write_text(reason + "\n")
    return target


def process_once(hub: Hub, folder: Path, settle: float = 2.0,
                 on_rows: OnRows | None = None) -> list[Outcome]:
    outcomes = []
    for feed, path in complete_files(folder, settle):
        try:
            result = ingest_files(hub, feed, [path], on_rows=on_rows)
        except OdahubError as error:
            move_aside(path, ".failed", str(error))
            outcomes.append(Outcome(feed, path.name, "failed", str(error)))
            continue
        if result.duplicate_of is not None:
            message = f"identical to version {result.duplicate_of} (sha256 {result.sha256[:12]})"
            move_aside(path, ".done", f"skipped: {message}")
            outcomes.append(Outcome(feed, path.name, "duplicate", message, result))
        else:
            move_aside(path, ".done")
            outcomes.append(Outcome(feed, path.name, "ingested",
                                    f"version {result.version}", result))
    return outcomes


def watch(hub: Hub, folder: Path, interval: float, settle: float,
          report: Callable[[list[Outcome]], None], on_rows: OnRows | None = None) -> None:
    """Poll until interrupted (Ctrl-C / SIGTERM from the service manager)."""
    if not folder.is_dir():
        raise OdahubError(f"drop folder {folder} does not exist")
    while True:
        outcomes = process_once(hub, folder, settle, on_rows)
        if outcomes:
            report(outcomes)
        time.sleep(max(interval - settle, 0.1))


def ensure_folder(folder: Path) -> Path:
    if not folder.is_dir():
        raise OdahubError(f"drop folder {folder} does not exist")
    return Path(os.path.abspath(folder))
