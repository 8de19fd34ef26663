"""Parquet deliveries, read batch by batch with every column cast to text."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from odahub.ingest.readers.base import BATCH_ROWS, TableSource, as_text_batch, fail


def open_parquet(path: Path) -> TableSource:
    try:
        handle = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as error:
        raise fail(f"not a readable Parquet file ({error}); is it truncated?", path) from error
    columns = [name.strip() for name in handle.schema_arrow.names]
    return TableSource(path=path, columns=columns, produce=_batches(handle, path, columns))


def _batches(handle: pq.ParquetFile, path: Path, columns: list[str]) -> Iterator[pa.RecordBatch]:
    row = 1
    try:
        for batch in handle.iter_batches(batch_size=BATCH_ROWS):
            renamed = pa.RecordBatch.from_arrays(batch.columns, names=columns)
            yield as_text_batch(renamed, row)
            row += batch.num_rows
    except (pa.ArrowException, OSError) as error:
        raise fail(f"the Parquet file cannot be read after row {row - 1}: {error}", path,
                   row=row) from error
