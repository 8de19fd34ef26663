"""The record index: every record of every feed at one level, joined once to its person.

Search, person views and area counts all read (dataset, record, person, identity, event);
building that union once per set of versions (not per request) keeps each request to a few
indexed lookups. Policy still applies per request: `readable_records` keeps only the datasets
the principal may read and blanks the columns its agreements withhold.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from odahub.engine.sqltext import identifier as quote
from odahub.engine.sqltext import literal
from odahub.governance import Level
from odahub.governance.policy import Access
from odahub.web.lakeview import LakeView

COLUMNS: dict[str, dict[str, str]] = {
    "identified": {"first_name": "VARCHAR", "last_name": "VARCHAR", "date_of_birth": "DATE",
                   "sex": "VARCHAR", "postcode": "VARCHAR", "nhs_number": "VARCHAR",
                   "event_date": "DATE", "event_type": "VARCHAR"},
    "pseudonymised": {"birth_year": "INTEGER", "sex": "VARCHAR", "oa_code": "VARCHAR",
                      "event_date": "DATE", "event_type": "VARCHAR"},
}




@dataclass
class Surnames:
    """The identified index in Arrow, grouped by surname: a fuzzy search takes the rows of a
    few surnames by position instead of scanning every record."""

    table: pa.Table
    names: list[str]
    starts: np.ndarray
    ends: np.ndarray

    @classmethod
    def of(cls, table: pa.Table) -> Surnames:
        table = table.filter(pc.is_valid(table["last_name"])).sort_by("last_name")
        names = table["last_name"].to_numpy(zero_copy_only=False)
        unique, starts = np.unique(names, return_index=True)
        ends = np.append(starts[1:], len(names))
        return cls(table, [str(n) for n in unique], starts, ends)

    def rows(self, surnames: list[str]) -> pa.Table:
        wanted = set(surnames)
        spans = [np.arange(a, b) for n, a, b in zip(self.names, self.starts, self.ends,
                                                    strict=True) if n in wanted]
        positions = np.concatenate(spans) if spans else np.array([], dtype=np.int64)
        return self.table.take(pa.array(positions, pa.int64()))


@dataclass
class RecordIndex:
    view: LakeView
    _built: dict[str, tuple[tuple[object, ...], str]] = field(default_factory=dict)
    _surnames: dict[str, Surnames] = field(default_factory=dict)
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

    def surnames(self, table: str) -> Surnames | None:
        return self._surnames.get(table)

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
        if level == "identified":
            self.view.execute(f"CREATE OR REPLACE TABLE {target}_names AS SELECT DISTINCT "
                              f"last_name FROM {target} WHERE last_name IS NOT NULL")
            self._surnames = {target: Surnames.of(self.view.arrow(f"SELECT * FROM {target}"))}
        return target


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
