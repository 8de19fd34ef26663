"""How a delivery's Parquet parts are written: large row groups, and no dictionary or
statistics where they only cost time (ADR 0083).

The CSV scan hands over batches of ~60,000 rows; a row group per batch would make pyarrow
restart its dictionaries (and a unique record id fills a fresh dictionary every time) and
write hundreds of tiny quarantine row groups. So batches are held until a row group's worth
(a bounded buffer: memory stays constant) and written together.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

ROW_GROUP_ROWS = 1 << 19
UNIQUE = ("record_id", "source_row")  # one value per row: a dictionary never pays


def part_options(schema: pa.Schema) -> dict[str, Any]:
    """pyarrow writer options for an identified part: dictionaries except for the columns
    unique by nature; min/max statistics only for numbers and dates (sealed parts are read
    whole, and string statistics are a sixth of the write)."""
    return {
        "use_dictionary": [f.name for f in schema if f.name not in UNIQUE],
        "write_statistics": [f.name for f in schema if pa.types.is_integer(f.type)
                             or pa.types.is_temporal(f.type)],
    }


class RowGroups:
    """Wraps a ParquetWriter: tables are written a row group (`rows` rows or more) at a time."""

    def __init__(self, writer: Any, rows: int = ROW_GROUP_ROWS) -> None:
        self.writer = writer
        self.rows = rows
        self.pending: list[pa.Table] = []
        self.count = 0

    def write(self, table: pa.Table | pa.RecordBatch) -> None:
        if not len(table):
            return
        if isinstance(table, pa.RecordBatch):
            table = pa.Table.from_batches([table])
        self.pending.append(table)
        self.count += len(table)
        if self.count >= self.rows:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.writer.write_table(pa.concat_tables(self.pending), row_group_size=self.count)
        self.pending, self.count = [], 0

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self.writer.close()
