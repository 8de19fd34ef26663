"""Read-only, cached SQL over the newest lake versions, for serving pages and the API.

Serving needs answers in milliseconds for many users at once, so the web app keeps one
in-process DuckDB database holding the newest version of each table it reads (sealed zones
decrypted in memory by the lake, never on disk), indexed on the keys pages look up, and gives
every request its own cursor (a DuckDB cursor is used by one thread at a time). A table is
reloaded when the catalog lists a newer version. See ADR 0070.

Point lookups by a key column (a person's households, a household's risk score) do not need a
query plan: `lookup` answers them from the loaded Arrow table sorted once on that column
(binary search, zero-copy slice); see ADR 0075.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from odahub.lake import Lake

# How long a "newest version" answer is trusted before asking the catalog again.
FRESHNESS_SECONDS = 2.0
INDEXED = ("person_id", "household_id", "oa_code")
_UNSAFE = re.compile(r"[^a-z0-9_]")


def view_name(zone: str, name: str) -> str:
    return f"{zone}__{_UNSAFE.sub('_', name.lower())}"


@dataclass
class Sorted:
    """Rows in Arrow, sorted on one key column: the rows of a few keys are taken by position
    (binary search on the sorted keys) instead of scanning or planning a query."""

    table: pa.Table
    keys: np.ndarray

    @classmethod
    def of(cls, table: pa.Table, column: str) -> Sorted:
        key = pc.cast(table[column], pa.string())  # binary order, as numpy compares str
        valid = pc.is_valid(key)
        table, key = table.filter(valid), key.filter(valid)
        order = pc.sort_indices(key)
        return cls(table.take(order), key.take(order).to_numpy(zero_copy_only=False).astype(str))

    def rows(self, keys: list[str]) -> pa.Table:
        """Every row of these keys, key by key in the order given."""
        wanted = np.array(keys, dtype=str)
        starts = np.searchsorted(self.keys, wanted, side="left")
        ends = np.searchsorted(self.keys, wanted, side="right")
        if len(keys) == 1:  # one key: a zero-copy slice
            return self.table.slice(int(starts[0]), int(ends[0] - starts[0]))
        positions = np.concatenate([np.arange(a, b) for a, b in zip(starts, ends, strict=True)]
                                   or [np.array([], dtype=np.int64)])
        return self.table.take(pa.array(positions, pa.int64()))


@dataclass
class _Loaded:
    version_id: int
    checked: float
    columns: list[str]
    by: dict[str, Sorted] = field(default_factory=dict)


@dataclass
class LakeView:
    """The newest version of each table, in memory, refreshed when a new version lands."""

    lake: Lake
    connection: duckdb.DuckDBPyConnection = field(default_factory=duckdb.connect)
    _loaded: dict[tuple[str, str], _Loaded] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def table(self, zone: str, name: str) -> str | None:
        """The table name holding the newest version of zone/name, or None if none exists."""
        loaded = self.loaded(zone, name)
        return view_name(zone, name) if loaded is not None else None

    def version_id(self, zone: str, name: str) -> int | None:
        loaded = self.loaded(zone, name)
        return loaded.version_id if loaded is not None else None

    def loaded(self, zone: str, name: str) -> _Loaded | None:
        key = (zone, name)
        known = self._loaded.get(key)
        now = time.monotonic()
        if known is not None and now - known.checked < FRESHNESS_SECONDS:
            return known
        latest = self.lake.latest(zone, name)
        if latest is None:
            return None
        with self._lock:
            known = self._loaded.get(key)
            if known is None or known.version_id != latest.id:
                known = _Loaded(latest.id, now, self._load(zone, name, latest))
            known.checked = now
            self._loaded[key] = known
        return known

    def _load(self, zone: str, name: str, version: Any) -> list[str]:
        target = view_name(zone, name)
        arrow = self.lake.read_table(version)
        if arrow.num_columns == 0:
            arrow = pa.table({"_empty": pa.array([], pa.int8())})
        cursor = self.connection.cursor()
        try:
            cursor.register("_incoming", arrow)
            cursor.execute(f"CREATE OR REPLACE TABLE {target} AS SELECT * FROM _incoming")
            cursor.unregister("_incoming")
            for column in INDEXED:
                if column in arrow.column_names:
                    cursor.execute(f"CREATE INDEX {target}_{column} ON {target} ({column})")
        finally:
            cursor.close()
        return list(arrow.column_names)

    def lookup(self, zone: str, name: str, column: str,
               keys: list[str]) -> pa.Table | None:
        """The rows of the newest zone/name whose `column` equals one of `keys` (as text), or
        None if there is no such table or column."""
        loaded = self.loaded(zone, name)
        if loaded is None or column not in loaded.columns:
            return None
        by = loaded.by.get(column)
        if by is None:  # first lookup on this column of this version: sort a copy once
            with self._lock:
                by = loaded.by.get(column) or Sorted.of(
                    self.arrow(f"SELECT * FROM {view_name(zone, name)}"), column)
                loaded.by[column] = by
        return by.rows(keys)

    def columns(self, table: str) -> list[str]:
        for (zone, name), loaded in self._loaded.items():
            if view_name(zone, name) == table:
                return loaded.columns
        return []

    def execute(self, sql: str) -> None:
        cursor = self.connection.cursor()
        try:
            cursor.execute(sql)
        finally:
            cursor.close()

    def rows(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        """Run a parameterised query on a fresh cursor; rows as dicts."""
        cursor = self.connection.cursor()
        try:
            cursor.execute(sql, params or [])
            names = [d[0] for d in cursor.description or []]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        finally:
            cursor.close()

    def arrow(self, sql: str, params: list[Any] | None = None) -> pa.Table:
        cursor = self.connection.cursor()
        try:
            # a relation's Arrow output, not the DB-API result's (which copies every row again)
            table: pa.Table = cursor.sql(sql, params=params or None).to_arrow_table()
            return table
        finally:
            cursor.close()

    def rows_over(self, name: str, table: pa.Table, sql: str,
                  params: list[Any] | None = None) -> list[dict[str, Any]]:
        """Run a query that reads `table` (an Arrow table) under `name`, on its own cursor."""
        cursor = self.connection.cursor()
        try:
            cursor.register(name, table)
            cursor.execute(sql, params or [])
            names = [d[0] for d in cursor.description or []]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        finally:
            cursor.close()

    def close(self) -> None:
        self.connection.close()
