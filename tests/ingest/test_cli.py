from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from odahub.errors import OdahubError
from odahub.hub import Hub
from odahub.ingest import cli as ingest_cli
from tests.conftest import make_hub
from tests.ingest.helpers import BAD_DATE_ROW, GOOD_ROWS, SPEC, odahub, write_csv


class Result:
    def __init__(self, code: int, stdout: str, stderr: str) -> None:
        self.returncode, self.stdout, self.stderr = code, stdout, stderr


@pytest.fixture
def cli(sqlite_hub: Hub) -> Iterator[Any]:
    """The stage's commands on a Typer app in this process (the real `odahub` entry point
    imports every stage, which is slow; one subprocess test below covers it)."""
    app = typer.Typer()

    @app.callback()
    def root(ctx: typer.Context) -> None:
        ctx.obj = sqlite_hub

    ingest_cli.register(app)
    runner = CliRunner()

    def run(*args: str) -> Result:
        outcome = runner.invoke(app, list(args))
        error = outcome.exception
        if isinstance(error, OdahubError):  # what main() prints instead of a traceback
            return Result(error.exit_code, outcome.stdout, outcome.stderr + str(error))
        assert error is None or isinstance(error, SystemExit), repr(error)
        return Result(outcome.exit_code, outcome.stdout, outcome.stderr)

    yield run

POSTCODES = ("postcode,oa_code,lsoa_code,ward_code,latitude,longitude\n"
             "cb21tn,E001,L01,W1,52.2,0.12\n")
AREAS = {"type": "FeatureCollection", "features": [{
    "type": "Feature", "properties": {"oa_code": "E001", "lsoa_code": "L01", "lsoa_name": "A",
                                      "ward_code": "W1", "ward_name": "Ward", "imd_decile": 3},
    "geometry": {"type": "Polygon", "coordinates": [[[0, 52], [0.2, 52], [0.2, 52.4], [0, 52]]]},
}]}


def test_cli_ingest_versions_quarantine_quality_reference_and_drop_folder(
        cli: Any, tmp_path: Path) -> None:
    spec = tmp_path / "police.yaml"
    spec.write_text(SPEC)
    good = write_csv(tmp_path / "week1.csv", [*GOOD_ROWS, BAD_DATE_ROW])

    done = cli("ingest", "--spec", str(spec), str(good))
    assert done.returncode == 0, done.stderr
    assert "ingest summary" in done.stderr and "rows/s" in done.stderr

    versions = cli("versions", "police_incidents", "--json")
    assert versions.returncode == 0, versions.stderr
    (row,) = json.loads(versions.stdout)
    assert {k: row[k] for k in ("version", "rows_read", "rows_accepted", "rows_quarantined")} == {
        "version": 1, "rows_read": 4, "rows_accepted": 3, "rows_quarantined": 1}
    assert len(row["sha256"]) == 64 and row["created_at"]

    shown = cli("quarantine", "police_incidents", "--json")
    (quarantined,) = json.loads(shown.stdout)
    assert (quarantined["source_row"], quarantined["column"]) == (4, "dob")
    assert "raw" not in quarantined  # raw rows only on request
    quality = cli("quality", "police_incidents")
    assert quality.returncode == 0 and "completeness" in quality.stderr

    bad = tmp_path / "week2.csv"
    bad.write_text("incident_ref,forename\nI1,A\n")
    failed = cli("ingest", "police_incidents", str(bad))
    assert failed.returncode != 0
    assert "week2.csv" in failed.stderr and "column surname" in failed.stderr

    reference = tmp_path / "reference"
    reference.mkdir()
    (reference / "postcodes.csv").write_text(POSTCODES)
    (reference / "output_areas.geojson").write_text(json.dumps(AREAS))
    loaded = cli("reference", "load", str(reference))
    assert loaded.returncode == 0 and "postcodes: 1 rows" in loaded.stderr, loaded.stderr

    drop = tmp_path / "drop" / "police_incidents"
    drop.mkdir(parents=True)
    write_csv(drop / "week3.csv", GOOD_ROWS[:2])
    bad.rename(drop / "week4.csv")
    watched = cli("ingest", "--watch", str(tmp_path / "drop"), "--once",
                     "--settle", "0.1")
    assert watched.returncode != 0 and "1 of 2 deliveries failed" in watched.stderr
    assert (drop / ".done" / "week3.csv").exists()
    assert (drop / ".failed" / "week4.csv.reason.txt").exists()
    listed = json.loads(cli("feed", "list", "--json").stdout)
    assert listed[0]["dataset"] == "police_incidents" and listed[0]["versions"] == 2


@pytest.mark.slow
def test_failed_delivery_exits_non_zero_with_a_message_not_a_traceback(tmp_path: Path) -> None:
    home = tmp_path / "home"
    make_hub(home).close()
    spec = tmp_path / "police.yaml"
    spec.write_text(SPEC)
    bad = tmp_path / "week2.csv"
    bad.write_text("incident_ref,forename\nI1,A\n")
    failed = odahub(home, "ingest", "--spec", str(spec), str(bad))
    assert failed.returncode != 0
    assert "week2.csv" in failed.stderr and "column surname" in failed.stderr
    assert "Traceback" not in failed.stderr
