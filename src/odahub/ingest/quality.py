"""Data-quality profile of a version: completeness and validity per column, duplicate record
ids, and drift (population stability index) against the previous version.

Built batch by batch with Arrow compute. Value distributions are kept only for columns that
are not direct identifiers and have few distinct values, so the report (stored in the
catalog, which is not sealed) never holds names, dates of birth or postcodes.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from odahub.model import load_model

MAX_CATEGORIES = 50
FIXED = {"dataset", "source_file", "source_row", "_flags"}


@dataclass
class Profile:
    rows: int = 0
    non_null: Counter[str] = field(default_factory=Counter)
    flagged: Counter[str] = field(default_factory=Counter)
    quarantined: Counter[str] = field(default_factory=Counter)
    values: dict[str, Counter[str]] = field(default_factory=dict)
    too_many: set[str] = field(default_factory=set)
    hashes: list[np.ndarray] = field(default_factory=list)

    def add(self, accepted: pa.Table, rid_hashes: pa.Array) -> None:
        self.rows += accepted.num_rows
        self.hashes.append(_uint64s(rid_hashes))
        direct = set(load_model().direct_identifiers)
        for name in accepted.column_names:
            if name in FIXED:
                continue
            column = accepted.column(name)
            self.non_null[name] += len(column) - column.null_count
            if name not in direct and name != "record_id" and name not in self.too_many:
                self._count_values(name, column)
        flags = pc.list_flatten(accepted.column("_flags"))
        for item in pc.value_counts(flags).to_pylist():
            self.flagged[str(item["values"]).split(":", 1)[0]] += int(item["counts"])

    def _count_values(self, name: str, column: pa.ChunkedArray) -> None:
        if pa.types.is_date(column.type):
            column = pc.year(column)
        elif pa.types.is_floating(column.type) or pa.types.is_list(column.type):
            return
        counts = self.values.setdefault(name, Counter())
        for item in pc.value_counts(column.drop_null()).to_pylist():
            counts[str(item["values"])] += int(item["counts"])
        if len(counts) > MAX_CATEGORIES and not pa.types.is_integer(column.type):
            self.too_many.add(name)
            del self.values[name]

    def add_quarantined(self, columns: list[str | None]) -> None:
        self.quarantined.update(c or "(row)" for c in columns)

    def merge(self, other: Profile) -> None:
        """Add another profile (one file's) to this one (the delivery's)."""
        self.rows += other.rows
        self.non_null.update(other.non_null)
        self.flagged.update(other.flagged)
        self.quarantined.update(other.quarantined)
        self.hashes.extend(other.hashes)
        for name in other.too_many:
            self.too_many.add(name)
            self.values.pop(name, None)
        for name, counts in other.values.items():
            if name in self.too_many:
                continue
            merged = self.values.setdefault(name, Counter())
            merged.update(counts)
            if len(merged) > MAX_CATEGORIES:  # the report leaves such columns out anyway
                self.too_many.add(name)
                del self.values[name]

    def duplicate_record_ids(self) -> int:
        if not self.hashes:
            return 0
        every = np.sort(np.concatenate(self.hashes))  # sorting beats np.unique's hash table
        return int(np.count_nonzero(every[1:] == every[:-1]))

    def report(self, previous: dict[str, Any] | None) -> dict[str, Any]:
        columns: dict[str, dict[str, Any]] = {}
        for name, present in self.non_null.items():
            bad = self.flagged.get(name, 0)
            columns[name] = {
                "completeness": round(present / self.rows, 4) if self.rows else None,
                "validity": round(present / (present + bad), 4) if present + bad else None,
                "flagged": bad,
            }
            if name in self.values and len(self.values[name]) <= MAX_CATEGORIES:
                columns[name]["distribution"] = dict(self.values[name].most_common())
        report: dict[str, Any] = {
            "rows_accepted": self.rows, "duplicate_record_ids": self.duplicate_record_ids(),
            "quarantined_by_column": dict(self.quarantined), "columns": columns,
        }
        if previous:
            report["drift"] = drift(columns, previous.get("columns", {}))
            before = previous.get("rows_accepted") or 0
            report["row_change"] = round(self.rows / before - 1, 4) if before else None
        return report


def _uint64s(array: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A copy as numpy, read from the Arrow buffer (`to_numpy` would import pandas to check)."""
    if isinstance(array, pa.ChunkedArray):  # one chunk: the split's slices make many
        array = array.combine_chunks()
    if not len(array):
        return np.zeros(0, dtype=np.uint64)
    array = array.cast(pa.uint64())  # hashes: no nulls
    return np.frombuffer(array.buffers()[1], dtype=np.uint64, count=len(array),
                         offset=array.offset * 8).copy()


def psi(current: dict[str, int], previous: dict[str, int]) -> float:
    """Population stability index over the union of categories (0.1 moderate, 0.25 major)."""
    total_now, total_before = sum(current.values()), sum(previous.values())
    if not total_now or not total_before:
        return 0.0
    value = 0.0
    for key in set(current) | set(previous):
        p = max(current.get(key, 0) / total_now, 1e-4)
        q = max(previous.get(key, 0) / total_before, 1e-4)
        value += (p - q) * math.log(p / q)
    return round(value, 4)


def drift(columns: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    result = {}
    for name, stats in columns.items():
        old = before.get(name)
        if not old:
            continue
        entry: dict[str, Any] = {"completeness_change": _delta(stats, old, "completeness")}
        if "distribution" in stats and "distribution" in old:
            index = psi(stats["distribution"], old["distribution"])
            entry["psi"] = index
            entry["level"] = "major" if index >= 0.25 else "moderate" if index >= 0.1 else "none"
        result[name] = entry
    return result


def _delta(now: dict[str, Any], old: dict[str, Any], key: str) -> float | None:
    if now.get(key) is None or old.get(key) is None:
        return None
    return round(float(now[key]) - float(old[key]), 4)
