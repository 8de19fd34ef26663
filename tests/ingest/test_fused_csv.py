"""CSV is read, validated and standardised in one streaming query (ADR 0022): rows keep their
true numbers when the scanner rejects some, long lines are read again with the spec's limit,
and a file read twice counts each row once."""

from __future__ import annotations

import threading
from pathlib import Path

import pyarrow as pa
import pytest

from odahub.hub import Hub
from odahub.ingest import process
from odahub.ingest.deliver import ingest_files
from odahub.ingest.quality import Profile
from odahub.ingest.readers import csv as csv_reader
from tests.ingest.helpers import BAD_DATE_ROW, GOOD_ROWS, SPEC, register, write_csv


def test_scanner_rejects_across_many_batches_keep_true_row_numbers(
        sqlite_hub: Hub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csv_reader, "BATCH_ROWS", 2)  # many batches, prefetched in a thread
    spec = register(sqlite_hub, SPEC.replace(
        "format: csv\n", "format: csv\noptions: {max_ragged_share: 0.5}\n"))
    rows = [GOOD_ROWS[0], "I2,a,b,c\n", GOOD_ROWS[2], BAD_DATE_ROW, GOOD_ROWS[1].replace(
        "I2", "I5"), GOOD_ROWS[2].replace("I3", "I6").replace("open", "open,extra"),
        GOOD_ROWS[0].replace("I1", "I7")]
    result = ingest_files(sqlite_hub, spec.dataset, [write_csv(tmp_path / "r.csv", rows)])

    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (7, 4, 3)
    accepted = sqlite_hub.lake.read_latest("identified", spec.dataset)
    assert accepted.column("source_row").to_pylist() == [1, 3, 5, 7]
    assert accepted.column("record_id").to_pylist() == ["I1", "I3", "I5", "I7"]
    quarantined = sqlite_hub.lake.read_latest("quarantine", spec.dataset).to_pylist()
    assert sorted(q["source_row"] for q in quarantined) == [2, 4, 6]
    report = sqlite_hub.lake.require_latest("identified", spec.dataset).details["quality"]
    assert report["rows_accepted"] == 4  # the first, misnumbered read left no trace


def test_a_line_longer_than_the_short_limit_is_read_again_with_the_specs(
        sqlite_hub: Hub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csv_reader, "SHORT_LINES", 4096)
    widened: list[bool] = []
    widen = csv_reader.CsvSource._widen

    def spy(source: csv_reader.CsvSource, error: Exception) -> bool:
        widened.append(widen(source, error))  # type: ignore[arg-type]
        return widened[-1]

    monkeypatch.setattr(csv_reader.CsvSource, "_widen", spy)
    spec = register(sqlite_hub)
    long_status = "x" * 10_000
    rows = [GOOD_ROWS[0], GOOD_ROWS[2].replace(",open", f",{long_status}"), BAD_DATE_ROW]
    result = ingest_files(sqlite_hub, spec.dataset, [write_csv(tmp_path / "long.csv", rows)])

    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (3, 2, 1)
    accepted = sqlite_hub.lake.read_latest("identified", spec.dataset)
    assert accepted.column("status").to_pylist() == ["open", long_status]
    assert accepted.column("source_row").to_pylist() == [1, 2]
    assert widened == [True]


def test_profiles_of_files_merge_as_if_profiled_together() -> None:
    def batch(sexes: list[str | None], ids: list[int]) -> tuple[pa.Table, pa.Array]:
        table = pa.table({"sex": pa.array(sexes, pa.string()),
                          "_flags": pa.array([[] for _ in sexes], pa.list_(pa.string()))})
        return table, pa.array(ids, pa.uint64())

    parts = [batch(["M", "F", None], [1, 2, 3]), batch(["F", "U"], [3, 4])]
    together, merged = Profile(), Profile()
    for table, ids in parts:
        together.add(table, ids)
        one = Profile()
        one.add(table, ids)
        one.add_quarantined(["dob"])
        merged.merge(one)
        together.add_quarantined(["dob"])
    assert merged.report(None) == together.report(None)
    assert merged.duplicate_record_ids() == 1


def test_a_failure_while_streaming_stops_the_scan_and_commits_nothing(
        sqlite_hub: Hub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csv_reader, "BATCH_ROWS", 1)
    calls: list[int] = []
    split = process.Attempt.split

    def failing(attempt: process.Attempt, out: pa.RecordBatch) -> None:
        calls.append(len(out))
        if len(calls) == 2:
            raise OSError("disk full")
        split(attempt, out)

    monkeypatch.setattr(process.Attempt, "split", failing)
    spec = register(sqlite_hub)
    with pytest.raises(OSError, match="disk full"):
        ingest_files(sqlite_hub, spec.dataset, [write_csv(tmp_path / "f.csv")])
    assert not [t for t in threading.enumerate() if t.name == "csv-prefetch"]
    for zone in ("landing", "identified", "quarantine"):
        assert sqlite_hub.lake.versions(zone, spec.dataset) == []
