"""Catalog reads reused for a few seconds and refreshed ahead, so that a busy process does not
ask the catalog on every request and no steady caller waits for it (ADR 0074).

A value is served for at most `ttl` seconds after it was read. Once it is older than half
that, the next use still gets it but starts one background reload; a caller seen again within
`ttl` therefore never waits. A governance change audited by this process moves the catalog's
generation (`governance.changes`): an entry read before it is never served again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Generic, TypeVar

V = TypeVar("V")
MAX_ENTRIES = 10_000


@dataclass(frozen=True)
class _Entry(Generic[V]):
    read_at: float  # monotonic time the read started (conservative)
    generation: int
    value: V


@dataclass(eq=False)
class TrustCache(Generic[V]):
    ttl: float = 5.0
    _entries: dict[Hashable, _Entry[V]] = field(default_factory=dict)
    _refreshing: set[Hashable] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _executor: ThreadPoolExecutor | None = None

    def get(self, key: Hashable, generation: int, read: Callable[[], V]) -> V:
        """The value of `key`: cached if read within `ttl` at this generation, else `read()`
        now (its exceptions propagate and nothing is cached)."""
        now = time.monotonic()
        found = self._entries.get(key)
        if found is not None and found.generation == generation and now - found.read_at < self.ttl:
            if now - found.read_at >= self.ttl / 2:
                self._refresh(key, found, read)
            return found.value
        value = read()
        self._put(key, _Entry(now, generation, value))
        return value

    def forget(self, key: Hashable) -> None:
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()

    def _put(self, key: Hashable, entry: _Entry[V]) -> None:
        if len(self._entries) >= MAX_ENTRIES:  # many short-lived keys: start afresh
            self._entries = {}
        self._entries[key] = entry

    def _refresh(self, key: Hashable, previous: _Entry[V], read: Callable[[], V]) -> None:
        with self._lock:
            if key in self._refreshing:
                return
            self._refreshing.add(key)
            if self._executor is None:
                self._executor = ThreadPoolExecutor(2, thread_name_prefix="odahub-refresh")
            executor = self._executor

        def reload() -> None:
            started = time.monotonic()
            try:
                value: V | None = read()
                failed = False
            except Exception:  # noqa: BLE001 - e.g. a session that ended: ask again next time
                value, failed = None, True
            with self._lock:
                self._refreshing.discard(key)
                if self._entries.get(key) is not previous:
                    return  # forgotten (logout) or replaced meanwhile: leave it so
                if failed:
                    del self._entries[key]
                else:
                    self._put(key, _Entry(started, previous.generation, value))  # type: ignore[arg-type]

        executor.submit(reload)
