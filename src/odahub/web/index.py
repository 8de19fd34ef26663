"""The record index: every record of every feed at one level, joined once to its person.

Search, person views and area counts all read (dataset, record, person, identity, event);
building that union once per set of versions (not per request) keeps each request to a few
indexed lookups. Policy still applies per request: `readable_records` (SQL) and `readable_rows`
(Arrow) keep only the datasets the principal may read and blank the columns its agreements
withhold.

Besides the DuckDB table, the index is kept in Arrow twice: sorted by surname (fuzzy search
takes the records of a few surnames by position) and sorted by person (a person view slices
its records by binary search). A point lookup then costs microseconds, not a query plan.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

import pyarrow as pa
import pyarrow.compute as pc

from odahub.engine.sqltext import identifier as quote
from odahub.engine.sqltext import literal
from odahub.governance import Level
from odahub.governance.policy import Access
from odahub.web.lakeview import LakeView, Sorted

T = TypeVar("T")
MEMO_ENTRIES = 20_000

COLUMNS: dict[str, dict[str, str]] = {
    "identified": {"first_name": "VARCHAR", "last_name": "VARCHAR", "date_of_birth": "DATE",
                   "sex": "VARCHAR", "postcode": "VARCHAR", "nhs_number": "VARCHAR",
                   "event_date": "DATE", "event_type": "VARCHAR"},
    "pseudonymised": {"birth_year": "INTEGER", "sex": "VARCHAR", "oa_code": "VARCHAR",
                      "event_date": "DATE", "event_type": "VARCHAR"},
}






@dataclass
class RecordIndex:
    view: LakeView
    _built: dict[str, tuple[tuple[object, ...], str]] = field(default_factory=dict)
    _surnames: dict[str, Sorted] = field(default_factory=dict)
    _persons: dict[str, Sorted] = field(default_factory=dict)
    _memo: dict[tuple[str, ...], object] = field(default_factory=dict)
    _listed: dict[str, tuple[float, list[str]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _serial: int = 0

    def tables(self, level: Level) -> list[str]:
        """The feeds of a level (re-listed from the catalog at most every 2 seconds)."""
        now = time.monotonic()
        listed = self._listed.get(level)
        if listed is None or now - listed[0] > 2.0:
            listed = (now, self.view.lake.tables(level))
            self._listed[level] = listed
        return listed[1]

    def surnames(self, table: str) -> Sorted | None:
        """The identified index `table` by last name (None until built)."""
        return self._surnames.get(table)

    def memo(self, key: tuple[str, ...], compute: Callable[[], T]) -> T:
        """A result derived from one index table alone (its name is key[0]), e.g. the surnames
        like a searched one; never anything that depends on the caller (policy is not here)."""
        found = self._memo.get(key)
        if found is None:
            if len(self._memo) >= MEMO_ENTRIES:
                self._memo = {}
            found = self._memo[key] = compute()
        return found  # type: ignore[return-value]

    def persons(self, table: str) -> Sorted | None:
        """The index `table` by person id (None until built)."""
        return self._persons.get(table)

    def table(self, level: Level) -> str | None:
        """The index table of this level, rebuilt when a feed or the links change."""
        links = self.view.table("linked", "links")
        if links is None:
            return None
        feeds = [name for name in self.tables(level) if self.view.table(level, name) is not None]
        key = (self.view.version_id("linked", "links"),
               *((name, self.view.version_id(level, name)) for name in feeds))
        built = self._built.get(level)
        if built is not None and built[0] == key:
            return built[1]
        with self._lock:
            built = self._built.get(level)
            if built is None or built[0] != key:
                built = (key, self._build(level, feeds, links))
                self._built[level] = built
        return built[1]

    def _build(self, level: Level, feeds: list[str], links: str) -> str:
        self._serial += 1
        target = f"record_index_{level}_{self._serial}"
        parts = []
        for name in feeds:
            table = self.view.table(level, name)
            present = set(self.view.columns(table or ""))
            if table is None or "record_id" not in present:
                continue
            cols = [f"CAST({quote(c)} AS {t}) AS {quote(c)}" if c in present
                    else f"CAST(NULL AS {t}) AS {quote(c)}" for c, t in COLUMNS[level].items()]
            parts.append(f"SELECT {literal(name)} AS dataset, CAST(record_id AS VARCHAR) "
                         f"AS record_id, {', '.join(cols)} FROM {table}")
        union = " UNION ALL ".join(parts) or (
            "SELECT NULL::VARCHAR AS dataset, NULL::VARCHAR AS record_id, " + ", ".join(
                f"NULL::{t} AS {quote(c)}" for c, t in COLUMNS[level].items()) + " WHERE false")
        self.view.execute(
            f"CREATE OR REPLACE TABLE {target} AS SELECT l.person_id, l.household_id, "
            f"l.match_probability, r.* FROM ({union}) r JOIN {links} l "
            f"ON l.dataset = r.dataset AND CAST(l.record_id AS VARCHAR) = r.record_id "
            f"ORDER BY l.person_id")
        for column in ("person_id", "household_id", *(
                ["last_name"] if level == "identified" else [])):
            self.view.execute(f"CREATE INDEX {target}_{column} ON {target} ({column})")
        arrow = self.view.arrow(f"SELECT * FROM {target}")
        persons = {name: held for name, held in self._persons.items()
                   if not name.startswith(f"record_index_{level}_")}
        self._persons = {**persons, target: Sorted.of(arrow, "person_id")}
        if level == "identified":
            self.view.execute(f"CREATE OR REPLACE TABLE {target}_names AS SELECT DISTINCT "
                              f"last_name FROM {target} WHERE last_name IS NOT NULL")
            self._surnames = {target: Sorted.of(arrow, "last_name")}
        return target


def readable_rows(rows: pa.Table, level: Level, accesses: Mapping[str, Access]) -> pa.Table:
    """Arrow rows of the index restricted to readable datasets, withheld columns blanked (the
    same rule as `readable_records`)."""
    dataset = rows["dataset"]
    rows = rows.filter(pc.is_in(dataset, value_set=pa.array(sorted(accesses), pa.string())))
    for column in COLUMNS[level]:
        hidden = sorted(d for d, a in accesses.items()
                        if a.columns is not None and column not in a.columns)
        if hidden and column in rows.column_names:
            position = rows.column_names.index(column)
            blank = pc.is_in(rows["dataset"], value_set=pa.array(hidden, pa.string()))
            values = rows[column]
            rows = rows.set_column(position, column, pc.if_else(
                blank, pa.nulls(len(rows), values.type), values))
    return rows


def readable_records(index_table: str, level: Level, accesses: Mapping[str, Access],
                     where: str = "true") -> str:
    """A relation of the index restricted to readable datasets, withheld columns blanked.

    `where` filters the index itself (so DuckDB can use its indexes for person ids and names).
    """
    names = ", ".join(literal(d) for d in sorted(accesses)) or "NULL"
    selected = ["person_id", "household_id", "match_probability", "dataset", "record_id"]
    for column in COLUMNS[level]:
        hidden = sorted(d for d, a in accesses.items()
                        if a.columns is not None and column not in a.columns)
        if hidden:
            blank = ", ".join(literal(d) for d in hidden)
            selected.append(f"CASE WHEN dataset IN ({blank}) THEN NULL ELSE {quote(column)} "
                            f"END AS {quote(column)}")
        else:
            selected.append(quote(column))
    return (f"(SELECT {', '.join(selected)} FROM {index_table} "
            f"WHERE ({where}) AND dataset IN ({names}))")
