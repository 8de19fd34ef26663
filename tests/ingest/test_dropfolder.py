from __future__ import annotations

import fcntl
from pathlib import Path

from odahub.hub import Hub
from odahub.ingest.dropfolder import process_once
from tests.ingest.helpers import GOOD_ROWS, register, write_csv


def test_drop_folder_takes_complete_files_moves_them_aside_and_skips_redeliveries(
        sqlite_hub: Hub, tmp_path: Path) -> None:
    register(sqlite_hub)
    drop = tmp_path / "drop"
    feed = drop / "police_incidents"
    feed.mkdir(parents=True)
    write_csv(feed / "monday.csv")
    write_csv(feed / "tuesday.csv.part")  # still uploading
    (drop / "unknown_feed").mkdir()
    write_csv(drop / "unknown_feed" / "x.csv")
    locked = write_csv(feed / "wednesday.csv", GOOD_ROWS[:1])
    with open(locked, "rb") as holder:
        fcntl.flock(holder.fileno(), fcntl.LOCK_EX)  # a writer still holds it
        outcomes = process_once(sqlite_hub, drop, settle=0.05)
    assert sorted((o.feed, o.file, o.status) for o in outcomes) == [
        ("police_incidents", "monday.csv", "ingested"), ("unknown_feed", "x.csv", "failed")]
    assert (feed / ".done" / "monday.csv").exists() and not (feed / "monday.csv").exists()
    assert (feed / "tuesday.csv.part").exists() and (feed / "wednesday.csv").exists()
    reason = (drop / "unknown_feed" / ".failed" / "x.csv.reason.txt").read_text()
    assert "no feed named 'unknown_feed'" in reason

    write_csv(feed / "monday-again.csv")  # same bytes as monday.csv
    (feed / "bad.csv").write_text("incident_ref,forename\nI1,A\n")
    outcomes = {o.file: o for o in process_once(sqlite_hub, drop, settle=0.05)}
    assert outcomes["monday-again.csv"].status == "duplicate"
    assert "identical to version 1" in outcomes["monday-again.csv"].message
    assert outcomes["wednesday.csv"].status == "ingested"
    assert outcomes["bad.csv"].status == "failed"
    assert "not in the file" in (feed / ".failed" / "bad.csv.reason.txt").read_text()
    assert (feed / ".done" / "monday-again.csv.reason.txt").read_text().startswith("skipped")
    assert [v.version for v in sqlite_hub.lake.versions("identified", "police_incidents")] == [
        1, 2]
