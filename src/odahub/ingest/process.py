"""One delivered file: read, validate and standardise batch by batch, split accepted rows
(identified zone) from quarantined ones, and count every row exactly once."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from odahub.engine import Engine
from odahub.ingest.quality import Profile
from odahub.ingest.readers import ROW, Reject, open_source
from odahub.ingest.readers.base import fail
from odahub.ingest.spec import FeedSpec
from odahub.ingest.standardise import build_plan, detect_date_formats

QUARANTINE_SCHEMA = pa.schema([
    ("dataset", pa.string()), ("source_file", pa.string()), ("source_row", pa.int64()),
    ("column", pa.string()), ("reason", pa.string()), ("raw", pa.string()),
])
REJECT_COLUMNS = ("_reject_column", "_reject_reason", "_raw", "_rid_hash")
OnRows = Callable[[str, int], None]


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
    """Where a file's rows go: a writer factory for identified parts and the quarantine writer."""

    identified: Callable[[pa.Schema], Any]
    quarantine: Any
    profile: Profile


def process_file(engine: Engine, spec: FeedSpec, path: Path, name: str, result: FileResult,
                 sinks: Sinks, workdir: Path, on_rows: OnRows | None = None) -> None:
    source = open_source(path, spec, workdir)
    table = f"ingest_{uuid.uuid4().hex[:12]}"
    writer = None
    try:
        columns = [*source.columns, ROW]
        empty = pa.table({c: pa.array([], pa.int64() if c == ROW else pa.string())
                          for c in columns})
        batches = source.batches()
        first = next(batches, None)
        sample = pa.Table.from_batches([first]) if first is not None else empty
        plan = build_plan(spec, columns, name, table,
                          detect_date_formats(engine, spec, sample, table))
        schema = run(engine, table, empty, plan.sql).select(plan.outputs).schema
        writer = sinks.identified(schema)
        for batch in itertools.chain([first] if first is not None else [], batches):
            out = run(engine, table, pa.Table.from_batches([batch]), plan.sql)
            split(out, plan.outputs, schema, writer, sinks, result)
            if on_rows is not None:
                on_rows(name, batch.num_rows)
        quarantine_rejects(source.rejects, spec.dataset, name, sinks, result)
    finally:
        if writer is not None:
            writer.close()
        source.close()
    if result.rows_read == 0 and not spec.options.allow_empty:
        raise fail("the file holds no records (set options.allow_empty: true if an empty "
                   "delivery is expected)", path)


def run(engine: Engine, table: str, data: pa.Table, sql: str) -> pa.Table:
    engine.register(table, data)
    try:
        return engine.sql(sql)
    finally:
        engine.unregister(table)


def split(out: pa.Table, outputs: list[str], schema: pa.Schema, writer: Any, sinks: Sinks,
          result: FileResult) -> None:
    rejected = pc.is_valid(out.column("_reject_reason"))
    accepted = out.filter(pc.invert(rejected))
    quarantined = out.filter(rejected)
    sinks.profile.add(accepted.select(outputs), accepted.column("_rid_hash"))
    writer.write_table(accepted.select(outputs).cast(schema))
    if quarantined.num_rows:
        sinks.quarantine.write_table(pa.table({
            "dataset": quarantined.column("dataset"),
            "source_file": quarantined.column("source_file"),
            "source_row": quarantined.column("source_row"),
            "column": quarantined.column("_reject_column"),
            "reason": quarantined.column("_reject_reason"),
            "raw": quarantined.column("_raw"),
        }, schema=QUARANTINE_SCHEMA))
        sinks.profile.add_quarantined(quarantined.column("_reject_column").to_pylist())
    result.rows_read += out.num_rows
    result.rows_accepted += accepted.num_rows
    result.rows_quarantined += quarantined.num_rows


def quarantine_rejects(rejects: list[Reject], dataset: str, name: str, sinks: Sinks,
                       result: FileResult) -> None:
    """Rows the reader could not split (kept when the spec says ragged_rows: quarantine)."""
    if not rejects:
        return
    sinks.quarantine.write_table(pa.table({
        "dataset": [dataset] * len(rejects), "source_file": [name] * len(rejects),
        "source_row": [r.row for r in rejects], "column": [r.column for r in rejects],
        "reason": [r.reason for r in rejects], "raw": [r.raw for r in rejects],
    }, schema=QUARANTINE_SCHEMA))
    sinks.profile.add_quarantined([r.column for r in rejects])
    result.rows_read += len(rejects)
    result.rows_quarantined += len(rejects)
