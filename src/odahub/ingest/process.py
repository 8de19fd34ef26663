"""One delivered file: read, validate and standardise, split accepted rows (identified zone)
from quarantined ones, and count every row exactly once.

CSV files (the big ones) go through one streaming DuckDB query that reads, validates and
standardises in parallel (ADR 0022); other formats come as Arrow batches from their reader and
are validated batch by batch on the hub's engine. Either way no Python runs per row.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from odahub.engine import Engine
from odahub.ingest.parts import RowGroups
from odahub.ingest.quality import Profile
from odahub.ingest.readers import ROW, Reject, Source, open_source
from odahub.ingest.readers.base import BATCH_ROWS, Rescan, fail
from odahub.ingest.readers.csv import CsvSource, record_numbers
from odahub.ingest.spec import FeedSpec
from odahub.ingest.standardise import build_plan, detect_date_formats, undated_columns

QUARANTINE_SCHEMA = pa.schema([
    ("dataset", pa.string()), ("source_file", pa.string()), ("source_row", pa.int64()),
    ("column", pa.string()), ("reason", pa.string()), ("raw", pa.string()),
])
REJECT_COLUMNS = ("_reject_column", "_reject_reason", "_raw", "_rid_hash")
QUARANTINE_SOURCES = ["dataset", "source_file", "source_row", "_reject_column", "_reject_reason",
                      "_raw"]
OnRows = Callable[[str, int], None]
SLICE_EVERY = 256  # slice around rejects while they are at most one row in this many


@dataclass
class FileResult:
    file: str
    sha256: str
    rows_read: int = 0
    rows_accepted: int = 0
    rows_quarantined: int = 0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Sinks:
    """Where a file's rows go. Each factory opens this file's part of its zone (opening it
    again starts the part afresh); `profile` gathers the quality report of the delivery."""

    identified: Callable[[pa.Schema], Any]
    quarantine: Callable[[], Any]
    profile: Profile


@dataclass
class Attempt:
    """One read of a file: its writers, counts and profile, kept only if it runs to the end."""

    sinks: Sinks
    outputs: list[str]
    name: str
    schema: pa.Schema | None = None
    identified: Any = None
    quarantine: Any = None
    profile: Profile = field(default_factory=Profile)
    rows: FileResult = field(default_factory=lambda: FileResult("", ""))

    def open(self, schema: pa.Schema) -> None:
        self.schema = schema
        self.identified = RowGroups(self.sinks.identified(schema))
        self.quarantine = RowGroups(self.sinks.quarantine())

    def split(self, out: pa.RecordBatch | pa.Table) -> None:
        """Accepted rows to the identified part, rejected ones to quarantine; count both."""
        if self.identified is None:
            self.open(out.select(self.outputs).schema)
        reasons = out.column("_reject_reason")
        wanted = out.select([*self.outputs, "_rid_hash"])  # filter only the columns kept
        if reasons.null_count == len(out):
            accepted, quarantined = wanted, None
        else:
            rejected = pc.is_valid(reasons)
            accepted = without_rows(wanted, rejected)
            quarantined = out.select(QUARANTINE_SOURCES).filter(rejected)
        kept = accepted.select(self.outputs)
        if kept.schema != self.schema:
            kept = kept.cast(self.schema)
        self.profile.add(kept, accepted.column("_rid_hash"))
        self.identified.write(kept)
        self.rows.rows_read += len(out)
        self.rows.rows_accepted += len(accepted)
        if quarantined is not None and len(quarantined):
            self.quarantine.write(pa.table({
                "dataset": quarantined.column("dataset"),
                "source_file": quarantined.column("source_file"),
                "source_row": quarantined.column("source_row"),
                "column": quarantined.column("_reject_column"),
                "reason": quarantined.column("_reject_reason"),
                "raw": quarantined.column("_raw"),
            }, schema=QUARANTINE_SCHEMA))
            self.profile.add_quarantined(quarantined.column("_reject_column").to_pylist())
            self.rows.rows_quarantined += len(quarantined)

    def rejects(self, rejects: list[Reject], dataset: str) -> None:
        """Rows the reader could not split (kept when the spec says ragged_rows: quarantine)."""
        if not rejects:
            return
        count = len(rejects)
        self.quarantine.write(pa.table({
            "dataset": [dataset] * count, "source_file": [self.name] * count,
            "source_row": [r.row for r in rejects], "column": [r.column for r in rejects],
            "reason": [r.reason for r in rejects], "raw": [r.raw for r in rejects],
        }, schema=QUARANTINE_SCHEMA))
        self.profile.add_quarantined([r.column for r in rejects])
        self.rows.rows_read += count
        self.rows.rows_quarantined += count

    def close(self) -> None:
        for writer in (self.identified, self.quarantine):
            if writer is not None:
                writer.close()
        self.identified = self.quarantine = None

    def keep(self, result: FileResult) -> None:
        """The file is done: its counts and profile join the delivery's."""
        result.rows_read += self.rows.rows_read
        result.rows_accepted += self.rows.rows_accepted
        result.rows_quarantined += self.rows.rows_quarantined
        self.sinks.profile.merge(self.profile)


def without_rows(table: pa.RecordBatch | pa.Table, rejected: pa.Array) -> pa.Table:
    """`table` less the `rejected` rows. A few rejects in a batch are stepped over by slicing
    (zero-copy: the runs between them become chunks) instead of filtering, which would copy
    every accepted value; many rejects (short runs, many chunks) still filter (ADR 0084)."""
    if isinstance(table, pa.RecordBatch):
        table = pa.Table.from_batches([table])
    where = np.flatnonzero(bool_array(rejected))
    if len(where) * SLICE_EVERY > len(table):
        return table.filter(pc.invert(rejected))
    starts = np.concatenate([[0], where + 1])
    ends = np.concatenate([where, [len(table)]])
    runs = [table.slice(a, b - a) for a, b in zip(starts.tolist(), ends.tolist(), strict=True)
            if b > a]
    return pa.concat_tables(runs) if runs else table.slice(0, 0)


def bool_array(mask: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A boolean Arrow array with no nulls as numpy booleans (no pandas import)."""
    chunks = mask.chunks if isinstance(mask, pa.ChunkedArray) else [mask]
    parts = [np.unpackbits(np.frombuffer(c.buffers()[1], dtype=np.uint8), bitorder="little")[
        c.offset:c.offset + len(c)].astype(bool) for c in chunks if len(c)]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=bool)


def process_file(engine: Engine, spec: FeedSpec, path: Path, name: str, result: FileResult,
                 sinks: Sinks, workdir: Path, on_rows: OnRows | None = None) -> None:
    source = open_source(path, spec, workdir)
    try:
        if isinstance(source, CsvSource):
            attempt = process_csv(engine, spec, source, name, sinks, on_rows)
        else:
            attempt = process_batches(engine, spec, source, name, sinks, on_rows)
    finally:
        source.close()
    attempt.keep(result)
    if result.rows_read == 0 and not spec.options.allow_empty:
        raise fail("the file holds no records (set options.allow_empty: true if an empty "
                   "delivery is expected)", path)


def process_csv(engine: Engine, spec: FeedSpec, source: CsvSource, name: str, sinks: Sinks,
                on_rows: OnRows | None) -> Attempt:
    """Read, validate and standardise in one streaming query; read again on `Rescan`."""
    columns = [*source.columns, ROW]
    formats: dict[str, str | None] = {}
    if undated_columns(spec):
        formats = detect_date_formats(engine, spec, source.sample(BATCH_ROWS),
                                      f"sample_{uuid.uuid4().hex[:12]}")
    while True:
        plan = build_plan(spec, columns, name, source.relation(), formats)
        attempt = Attempt(sinks, plan.outputs, name)
        row = 1
        try:
            # closing(): a failure here stops the prefetch thread before the source is closed
            with closing(source.stream(plan.sql)) as batches:
                for out in batches:
                    numbers = int64_array(record_numbers(row, out.num_rows, source.skipped))
                    row += out.num_rows
                    attempt.split(out.set_column(out.schema.get_field_index("source_row"),
                                                 "source_row", numbers))
                    if on_rows is not None:
                        on_rows(name, out.num_rows)
        except Rescan:
            attempt.close()
            if on_rows is not None:
                on_rows(name, 1 - row)  # the progress bar starts the file again
            continue
        except BaseException:
            attempt.close()
            raise
        try:
            if attempt.identified is None:  # no rows at all: the parts still get a schema
                schema = source.schema_of(plan.sql)
                attempt.open(pa.schema([schema.field(o) for o in plan.outputs]))
            attempt.rejects(source.rejects, spec.dataset)
        finally:
            attempt.close()
        return attempt


def process_batches(engine: Engine, spec: FeedSpec, source: Source, name: str, sinks: Sinks,
                    on_rows: OnRows | None) -> Attempt:
    """Formats read into Arrow batches: the validation query runs on each batch."""
    table = f"ingest_{uuid.uuid4().hex[:12]}"
    columns = [*source.columns, ROW]
    empty = pa.table({c: pa.array([], pa.int64() if c == ROW else pa.string()) for c in columns})
    batches = source.batches()
    first = next(batches, None)
    sample = pa.Table.from_batches([first]) if first is not None else empty
    plan = build_plan(spec, columns, name, table,
                      detect_date_formats(engine, spec, sample, table))
    attempt = Attempt(sinks, plan.outputs, name)
    try:
        attempt.open(run(engine, table, empty, plan.sql).select(plan.outputs).schema)
        for batch in _chain(first, batches):
            attempt.split(run(engine, table, pa.Table.from_batches([batch]), plan.sql))
            if on_rows is not None:
                on_rows(name, batch.num_rows)
        attempt.rejects(source.rejects, spec.dataset)
    finally:
        attempt.close()
    return attempt


def _chain(first: pa.RecordBatch | None, rest: Iterator[pa.RecordBatch]) -> Iterator[
        pa.RecordBatch]:
    if first is not None:
        yield first
    yield from rest


def int64_array(values: np.ndarray) -> pa.Array:
    """Zero-copy; `pa.array(ndarray)` would import pandas (a second of start-up) to check."""
    values = np.ascontiguousarray(values, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), len(values), [None, pa.py_buffer(values)])


def run(engine: Engine, table: str, data: pa.Table, sql: str) -> pa.Table:
    engine.register(table, data)
    try:
        return engine.sql(sql)
    finally:
        engine.unregister(table)
