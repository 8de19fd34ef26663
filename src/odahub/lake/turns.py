"""Pipeline stages and purges take turns on the lake (ADR 0090).

A stage run (ingest, pseudonymise, link, analyse, key rotation) reads zones, works, then writes
new versions. An erasure or retention purge that ran in between would be undone: the stage
writes back the records it read before they were removed. So stage runs hold a shared lock on
`$ODAHUB_HOME/locks/lake.lock` for their whole run, and a purge holds it exclusively: stages run
beside each other, never beside a purge.

`flock` locks belong to an open file, so threads of one process (the web app, the demo) take
turns as processes do, and the kernel drops a killed process's lock. A purge waits for running
stages up to a limit, then says why it cannot go on, having changed nothing; a stage waits for a
running purge (they take seconds).
"""

from __future__ import annotations

import fcntl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

from odahub.errors import OdahubError

P = ParamSpec("P")
R = TypeVar("R")
H = TypeVar("H", bound="_HasHome")
PURGE_WAIT_SECONDS = 600.0
POLL_SECONDS = 0.2


class Busy(OdahubError):
    """The lake is in use by a run that must finish first."""


def lock_path(home: Path) -> Path:
    folder = home / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "lake.lock"


@contextmanager
def stage(home: Path) -> Iterator[None]:
    """Hold the lake for a stage run (shared with other stage runs; waits for a purge)."""
    with open(lock_path(home), "a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


@contextmanager
def purge(home: Path, what: str, wait_seconds: float | None = None) -> Iterator[None]:
    """Hold the lake alone for a purge, once running stages have finished (at most
    `wait_seconds`, PURGE_WAIT_SECONDS by default: then Busy, and nothing was touched)."""
    wait_seconds = PURGE_WAIT_SECONDS if wait_seconds is None else wait_seconds
    deadline = time.monotonic() + wait_seconds
    with open(lock_path(home), "a") as handle:
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise Busy(
                        f"{what} waited {wait_seconds:.0f} s for a running pipeline stage "
                        "(ingest, pseudonymise, link, analyse or key rotation) to finish; "
                        "nothing was removed. Run it again when the stage is done.") from None
                time.sleep(POLL_SECONDS)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


class _HasHome(Protocol):
    @property
    def settings(self) -> Any: ...


def stage_run(run: Callable[Concatenate[H, P], R]) -> Callable[Concatenate[H, P], R]:
    """Decorate a stage's entry point (its first argument the hub) to run in a stage turn."""
    @wraps(run)
    def in_turn(hub: H, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with stage(hub.settings.home):
            return run(hub, *args, **kwargs)
    return in_turn


def purge_run(what: str) -> Callable[[Callable[Concatenate[H, P], R]],
                                     Callable[Concatenate[H, P], R]]:
    """Decorate a purge's entry point (its first argument the hub) to run alone."""
    def decorate(run: Callable[Concatenate[H, P], R]) -> Callable[Concatenate[H, P], R]:
        @wraps(run)
        def alone(hub: H, /, *args: P.args, **kwargs: P.kwargs) -> R:
            with purge(hub.settings.home, what):
                return run(hub, *args, **kwargs)
        return alone
    return decorate
