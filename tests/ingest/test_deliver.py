from __future__ import annotations

import hashlib
import multiprocessing
import os
import signal
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from odahub.catalog.tables.core import Job
from odahub.hub import Hub
from odahub.ingest.deliver import ingest_files
from odahub.ingest.views import quarantine_rows, version_rows
from odahub.lake import sealed
from tests.ingest.helpers import BAD_DATE_ROW, GOOD_ROWS, register, write_csv


def test_a_delivery_is_one_version_with_landing_identified_and_quarantine(
        hub: Hub, tmp_path: Path) -> None:
    register(hub)
    path = write_csv(tmp_path / "incidents.csv", [*GOOD_ROWS, BAD_DATE_ROW])
    result = ingest_files(hub, "police_incidents", [path], created_by="tester")
    assert (result.version, result.rows_read, result.rows_accepted,
            result.rows_quarantined) == (1, 4, 3, 1)

    (row,) = version_rows(hub, "police_incidents")
    assert row["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert row["created_by"] == "tester" and row["spec_version"] == 1
    assert row["rows_accepted"] + row["rows_quarantined"] == row["rows_read"] == 4

    landing = hub.lake.require_latest("landing", "police_incidents")
    assert (hub.lake.path_of(landing) / "incidents.csv").read_bytes() == path.read_bytes()

    identified = hub.lake.require_latest("identified", "police_incidents")
    (part,) = hub.lake.files_of(identified)
    assert sealed.is_sealed(part) and b"BRIEN" not in part.read_bytes()
    people = hub.lake.read_table(identified).to_pylist()
    assert [p["record_id"] for p in people] == ["I1", "I2", "I3"]
    assert [p["source_row"] for p in people] == [1, 2, 3]
    assert people[0]["first_name"] == "JOHN" and people[0]["last_name"] == "O'BRIEN-SMITH"
    assert people[2]["nhs_number"] is None and people[2]["_flags"] == ["nhs_number:check_digit"]
    assert people[0]["outcome"] == "charged" and people[0]["event_type"] == "crime"

    number, quarantined = quarantine_rows(hub, "police_incidents", None, 10)
    assert number == 1
    assert [(q["source_file"], q["source_row"], q["column"]) for q in quarantined] == [
        ("incidents.csv", 4, "dob")]
    assert "not a valid date" in quarantined[0]["reason"]


def test_identical_redelivery_is_skipped_and_changes_drift(sqlite_hub: Hub,
                                                           tmp_path: Path) -> None:
    register(sqlite_hub)
    first = write_csv(tmp_path / "a.csv")
    assert ingest_files(sqlite_hub, "police_incidents", [first]).version == 1
    again = ingest_files(sqlite_hub, "police_incidents", [first])
    assert again.duplicate_of == 1 and again.version is None
    rows = [r.replace(",open\n", ",closed\n") for r in GOOD_ROWS] + [
        r.replace("I1", "I9") for r in GOOD_ROWS]
    second = ingest_files(sqlite_hub, "police_incidents", [write_csv(tmp_path / "b.csv", rows)])
    assert second.version == 2
    report = sqlite_hub.lake.require_latest("identified", "police_incidents").details["quality"]
    assert report["duplicate_record_ids"] == 2  # I2 and I3 appear twice in the file
    assert report["drift"]["status"]["level"] == "major"
    assert report["columns"]["postcode"]["completeness"] == 1.0
    assert report["columns"]["nhs_number"]["validity"] < 1.0


def _killed_writer(home: str, url: str, csv: str) -> None:
    import warnings

    warnings.simplefilter("ignore")
    from tests.conftest import make_hub

    hub = make_hub(Path(home), url)

    def stall(_name: str, _rows: int) -> None:
        Path(home, "writing").touch()
        time.sleep(120)

    ingest_files(hub, "police_incidents", [Path(csv)], on_rows=stall)


def _ingest_jobs(hub: Hub) -> list[str]:
    with hub.catalog.session() as session:
        return [j.status for j in session.scalars(select(Job).order_by(Job.id))]


def test_sigkill_mid_delivery_leaves_no_version_and_changes_nothing(
        sqlite_hub: Hub, tmp_path: Path) -> None:
    register(sqlite_hub)
    ingest_files(sqlite_hub, "police_incidents", [write_csv(tmp_path / "v1.csv")])
    before = {zone: [v.version for v in sqlite_hub.lake.versions(zone, "police_incidents")]
              for zone in ("landing", "identified", "quarantine")}
    second = write_csv(tmp_path / "v2.csv", [*GOOD_ROWS, BAD_DATE_ROW])
    home = sqlite_hub.settings.home
    process = multiprocessing.get_context("spawn").Process(
        target=_killed_writer, args=(str(home), sqlite_hub.settings.database_url, str(second)))
    process.start()
    deadline = time.time() + 90
    while not (home / "writing").exists() and time.time() < deadline:
        time.sleep(0.1)
    assert (home / "writing").exists(), "the writer never started"
    assert process.pid is not None
    os.kill(process.pid, signal.SIGKILL)
    process.join()
    after = {zone: [v.version for v in sqlite_hub.lake.versions(zone, "police_incidents")]
             for zone in before}
    assert after == before == {"landing": [1], "identified": [1], "quarantine": [1]}
    assert sqlite_hub.lake.read_latest("identified", "police_incidents").num_rows == 3
    scratch = home / "tmp" / "ingest"
    assert list(scratch.iterdir())  # the killed run's landing copy is still there
    assert _ingest_jobs(sqlite_hub)[-1] == "running"
    # The next delivery clears what the dead run left (its owner lock died with it).
    assert ingest_files(sqlite_hub, "police_incidents", [second]).version == 2
    assert list(scratch.iterdir()) == []
    assert _ingest_jobs(sqlite_hub) == ["done", "failed", "done"]  # the dead run's job ended
    for zone in before:
        assert sorted(p.name for p in sqlite_hub.lake.table_dir(zone, "police_incidents").iterdir()
                      ) == ["v000001", "v000002"], zone


@pytest.mark.parametrize("count", [2])
def test_several_files_make_one_version_with_counts_per_file(
        sqlite_hub: Hub, tmp_path: Path, count: int) -> None:
    register(sqlite_hub)
    files = [write_csv(tmp_path / f"part{i}.csv", [*GOOD_ROWS, BAD_DATE_ROW][i:])
             for i in range(count)]
    result = ingest_files(sqlite_hub, "police_incidents", files)
    per_file = [(f.file, f.rows_read, f.rows_accepted, f.rows_quarantined) for f in result.files]
    assert per_file == [("part0.csv", 4, 3, 1), ("part1.csv", 3, 2, 1)]
    assert len(version_rows(sqlite_hub, "police_incidents")) == 1
