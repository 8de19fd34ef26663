"""What every reader gives the validator: text columns in record batches, plus row numbers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pyarrow as pa
import pyarrow.compute as pc

from odahub.errors import DeliveryError, Problem
from odahub.ingest.spec import FeedSpec

ROW = "_source_row"
BATCH_ROWS = 200_000


class Rescan(Exception):  # noqa: N818  (a signal, not an error)
    """The file must be read again from the start; what was read so far is to be dropped."""


@dataclass(frozen=True)
class Reject:
    """A record the reader could not even split into columns (a ragged row, say)."""

    row: int
    reason: str
    raw: str
    column: str | None = None


class Source(Protocol):
    """One delivered file, opened by the reader for its format."""

    path: Path
    columns: list[str]
    rejects: list[Reject]

    def batches(self) -> Iterator[pa.RecordBatch]:
        """Record batches of string columns named as in the file, plus `_source_row` (int64)."""

    def close(self) -> None: ...


@dataclass
class TableSource:
    """A source whose records are already in memory or produced as Arrow (Excel, XML, docs)."""

    path: Path
    columns: list[str]
    produce: Iterator[pa.RecordBatch]
    rejects: list[Reject] = field(default_factory=list)

    def batches(self) -> Iterator[pa.RecordBatch]:
        yield from self.produce

    def close(self) -> None:
        return None


def as_text_batch(table: pa.Table | pa.RecordBatch, first_row: int) -> pa.RecordBatch:
    """Cast every column to string and number the rows from `first_row`."""
    arrays = [column if pa.types.is_string(column.type) else pc.cast(column, pa.string())
              for column in (table.column(i) for i in range(table.num_columns))]
    arrays = [a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a for a in arrays]
    rows = pa.array(range(first_row, first_row + table.num_rows), pa.int64())
    return pa.RecordBatch.from_arrays([*arrays, rows], names=[*table.column_names, ROW])


def fail(message: str, path: Path, **where: object) -> DeliveryError:
    """A delivery error naming the file (and row/line/column when known)."""
    return DeliveryError(f"cannot ingest {path.name}: {message}",
                         [Problem(message, file=path.name, **where)])  # type: ignore[arg-type]


def text_of(value: object) -> str | None:
    """A cell as text: integral floats lose their '.0' (spreadsheets store ids as floats)."""
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def check_header(path: Path, columns: list[str], spec: FeedSpec) -> list[str]:
    """The file must hold every column the spec names; extra ones only if the spec allows."""
    names = {c.strip(): c for c in columns}
    wanted = [spec.record_id, *spec.columns]
    missing = [name for name in wanted if name not in names]
    if missing:
        raise DeliveryError(
            f"cannot ingest {path.name}: the spec names columns the file lacks",
            [Problem(f"column {name!r} is in the spec but not in the file (the file has: "
                     f"{', '.join(columns[:30])})", file=path.name, column=name)
             for name in missing])
    extra = [c for c in columns if c.strip() not in wanted and c != ROW]
    if extra and spec.options.extra_columns == "fail":
        raise DeliveryError(
            f"cannot ingest {path.name}: the file has columns the spec does not list",
            [Problem("column not in the spec: add it to the spec, or set "
                     "options.extra_columns: ignore", file=path.name, column=name)
             for name in extra])
    return columns
