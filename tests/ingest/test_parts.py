from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from odahub.ingest.parts import RowGroups, part_options


def _batch(start: int, rows: int) -> pa.RecordBatch:
    return pa.record_batch({"record_id": [f"R{i}" for i in range(start, start + rows)],
                            "source_row": list(range(start, start + rows)),
                            "sex": ["M"] * rows})


def test_batches_are_written_a_row_group_at_a_time_and_read_back_unchanged(
        tmp_path: Path) -> None:
    batches = [_batch(i * 70, 70) for i in range(10)]
    path = tmp_path / "part.parquet"
    writer = RowGroups(pq.ParquetWriter(path, batches[0].schema, **part_options(
        batches[0].schema)), rows=250)
    for batch in batches:
        writer.write(batch)
    writer.write(batches[0].slice(0, 0))  # an empty batch adds nothing
    writer.close()
    handle = pq.ParquetFile(path)
    assert [handle.metadata.row_group(i).num_rows
            for i in range(handle.metadata.num_row_groups)] == [280, 280, 140]
    assert handle.read() == pa.Table.from_batches(batches)


def test_unique_columns_skip_the_dictionary_and_only_numbers_keep_statistics(
        tmp_path: Path) -> None:
    batch = _batch(0, 100)
    path = tmp_path / "part.parquet"
    with pq.ParquetWriter(path, batch.schema, **part_options(batch.schema)) as writer:
        writer.write_batch(batch)
    group = pq.ParquetFile(path).metadata.row_group(0)
    columns = {group.column(i).path_in_schema: group.column(i) for i in range(3)}
    assert "RLE_DICTIONARY" not in columns["record_id"].encodings
    assert "RLE_DICTIONARY" in columns["sex"].encodings
    assert columns["source_row"].is_stats_set and not columns["sex"].is_stats_set
