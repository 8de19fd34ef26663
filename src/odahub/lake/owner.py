"""Who still owns a temporary folder: a lock file the kernel releases when its process dies.

A writer holds an exclusive `flock` on `.owner.lock` inside its temporary folder for as long as
it works. The kernel drops the lock when the process ends, by SIGKILL too, so a sweeper that can
take the lock knows the owner is gone and may remove the folder; a live writer's folder is left
alone however long it takes. Folders without a lock file (made by code that takes none, or in the
instant before the lock exists or after it is removed for the final rename) are judged by age.
"""

from __future__ import annotations

import fcntl
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_NAME = ".owner.lock"
UNLOCKED_GRACE_SECONDS = 24 * 3600  # longer than any run that stages without a lock


@contextmanager
def owned(folder: Path) -> Iterator[Path]:
    """Hold `folder`'s owner lock while the block runs."""
    lock = folder / LOCK_NAME
    with open(lock, "w") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield lock
        finally:
            lock.unlink(missing_ok=True)


def release_name(folder: Path) -> None:
    """Remove the lock file's name before the folder is published (the lock itself is held
    until the block ends), so no lock file reaches a committed version."""
    (folder / LOCK_NAME).unlink(missing_ok=True)


def older_than(path: Path, seconds: float) -> bool:
    """Last modified more than `seconds` ago (False if it is gone already)."""
    try:
        return time.time() - path.stat().st_mtime > seconds
    except FileNotFoundError:
        return False


def abandoned(folder: Path, grace_seconds: float = UNLOCKED_GRACE_SECONDS) -> bool:
    """True if no live process owns `folder` (a stray temporary file: if older than the grace)."""
    if not folder.is_dir():
        return older_than(folder, grace_seconds)
    try:
        handle = open(folder / LOCK_NAME)
    except FileNotFoundError:
        return older_than(folder, grace_seconds)
    with handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True


def sweep_folder(root: Path) -> list[Path]:
    """Remove the abandoned folders directly under `root`."""
    if not root.is_dir():
        return []
    removed = []
    for child in root.iterdir():
        if child.is_dir() and abandoned(child):
            shutil.rmtree(child, ignore_errors=True)
            removed.append(child)
    return removed
