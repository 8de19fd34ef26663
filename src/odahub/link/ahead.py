"""Work started early on a thread of its own and taken when the run gets there (ADR 0085).

Parquet decoding and decryption, Arrow's kernels and DuckDB free the GIL, so a link run
overlaps reads and searches it will need later with its own work.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


class Ahead(Generic[K, T]):
    """Results being computed ahead, by key (which names what was read, so a stale one is
    never taken); one thread works through them in order."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._futures: dict[K, Future[T]] = {}

    @contextmanager
    def started(self, jobs: Iterable[tuple[K, Callable[[], T]]]) -> Iterator[None]:
        """Start the jobs (the iterable is consumed on this thread) while the block runs;
        nothing outlives the block."""
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=self._name)
        keys = []
        try:
            for key, job in jobs:
                self._futures[key] = pool.submit(job)
                keys.append(key)
            yield
        finally:
            for key in keys:
                self._futures.pop(key, None)
            pool.shutdown(wait=True, cancel_futures=True)

    def take(self, key: K) -> T | None:
        """The result for `key`, waiting for it; None if none was started."""
        future = self._futures.pop(key, None)
        return None if future is None else future.result()


def in_background(name: str, job: Callable[..., T], *args: Any) -> Future[T]:
    """One job on a thread of its own, which ends with it."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
    try:
        return pool.submit(job, *args)
    finally:
        pool.shutdown(wait=False)
