"""Rectification end to end: a partner recorded a subject's surname and date of birth wrongly;
the subject asks for it to be put right; the partner re-delivers its feed; `odahub rights rectify`
re-runs pseudonymisation, linkage and the marts; the record joins the right person, the wrong
values are gone from every current derived table, and the request closes saying what changed."""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pyarrow.compute as pc
import pytest
import yaml
from typer.testing import CliRunner

from odahub.governance import audit, rights
from odahub.hub import Hub
from odahub.lake import sealed
from tests.conftest import COUNTY_PERSONS, COUNTY_SEED, make_hub

DATASET = "police_incidents"
WRONG_SURNAME, WRONG_DOB = "Quixotebottom", date(1911, 11, 11)


def feed_columns(county: Path) -> tuple[dict[str, str], dict[str, str]]:
    """The feed's role -> column, and its date formats by column."""
    spec = yaml.safe_load((county / "specs" / f"{DATASET}.yaml").read_text())
    roles = {c["role"]: name for name, c in spec["columns"].items() if "role" in c}
    return {**roles, "record_id": spec["record_id"]}, spec.get("options", {})


def clean_record(county: Path) -> tuple[str, str]:
    """A police incident with no planted error whose subject has several other records."""
    import pyarrow.parquet as pq

    records = pq.read_table(county / "truth" / "records.parquet").to_pylist()
    errors = {(r["dataset"], r["record_id"])
              for r in pq.read_table(county / "truth" / "errors.parquet").to_pylist()}
    count = Counter(r["person_id"] for r in records)
    for row in sorted(records, key=lambda r: str(r["record_id"])):
        if (row["dataset"] == DATASET and (DATASET, row["record_id"]) not in errors
                and count[row["person_id"]] >= 4):
            return str(row["record_id"]), str(row["person_id"])
    raise AssertionError("no clean police incident in the county")


def corrupt(path: Path, county: Path, record_id: str) -> None:
    """Rewrite one line of the delivered CSV with a wrong surname and date of birth."""
    columns, options = feed_columns(county)
    encoding, delimiter = options.get("encoding", "utf-8"), options.get("delimiter", ",")
    spec = yaml.safe_load((county / "specs" / f"{DATASET}.yaml").read_text())
    dob_format = spec["columns"][columns["date_of_birth"]].get("format", "%Y-%m-%d")
    lines = path.read_bytes().decode(encoding).splitlines(keepends=True)
    header = next(csv.reader([lines[0]], delimiter=delimiter))
    for index, line in enumerate(lines):
        fields = next(csv.reader([line], delimiter=delimiter))
        if fields and fields[header.index(columns["record_id"])] == record_id:
            fields[header.index(columns["last_name"])] = WRONG_SURNAME
            fields[header.index(columns["date_of_birth"])] = WRONG_DOB.strftime(dob_format)
            out = io.StringIO()
            csv.writer(out, delimiter=delimiter, lineterminator="").writerow(fields)
            lines[index] = out.getvalue() + line[len(line.rstrip("\r\n")):]
            path.write_bytes("".join(lines).encode(encoding))
            return
    raise AssertionError(f"{record_id} not in {path}")


def person_of(hub: Hub, record_id: str) -> str:
    links = hub.lake.read_latest("linked", "links")
    mine = links.filter(pc.and_(pc.equal(links["dataset"], DATASET),
                                pc.equal(links["record_id"], record_id)))
    return str(mine["person_id"][0])


def majority_person(hub: Hub, county: Path, truth_person: str, record_id: str) -> str:
    """The nominal the hub gave the subject's other records: the right person."""
    import pyarrow.parquet as pq

    truth = pq.read_table(county / "truth" / "records.parquet").to_pylist()
    mine = {(r["dataset"], str(r["record_id"])) for r in truth
            if r["person_id"] == truth_person and str(r["record_id"]) != record_id}
    links = hub.lake.read_latest("linked", "links").to_pylist()
    return Counter(r["person_id"] for r in links
                   if (r["dataset"], str(r["record_id"])) in mine).most_common(1)[0][0]


def current_text(hub: Hub) -> str:
    """Every file of the current version of every pseudonymised, linked and marts table."""
    assert hub.keys is not None
    chunks = []
    for zone in ("pseudonymised", "linked", "marts"):
        for name in hub.lake.tables(zone):
            for path in hub.lake.files_of(hub.lake.require_latest(zone, name)):
                if path.suffix == ".parquet":
                    rows = sealed.read(path, hub.keys.key_by_id).to_pylist()
                    chunks.append(json.dumps(rows, default=str))
                else:
                    chunks.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(chunks)


@pytest.fixture
def miskeyed_hub(county: Path, tmp_path: Path) -> Iterator[Hub]:
    """A hub piped over the county after the police keyed one incident's subject wrongly."""
    from odahub.pipeline import PipelineState, run_pipeline

    home = tmp_path / "home"
    hub = make_hub(home)
    shutil.copytree(county, home / "synth")
    feed = next((home / "synth" / "feeds" / DATASET).iterdir())
    record_id, _ = clean_record(county)
    corrupt(feed, county, record_id)
    run_pipeline(hub, PipelineState(synth_dir=home / "synth", persons=COUNTY_PERSONS,
                                    seed=COUNTY_SEED))
    yield hub
    hub.close()


@pytest.mark.slow
def test_a_corrected_redelivery_flows_through_linkage_and_marts(
        miskeyed_hub: Hub, county: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from odahub.cli import app

    hub = miskeyed_hub
    record_id, truth_person = clean_record(county)
    wrong = person_of(hub, record_id)
    right = majority_person(hub, county, truth_person, record_id)
    assert wrong != right  # the miskeyed incident sits on a person of its own
    before = hub.lake.read_latest("pseudonymised", DATASET)
    row = before.filter(pc.equal(before["record_id"], record_id)).to_pylist()[0]
    wrong_tokens = [row["last_name"], row["date_of_birth"]]
    text = current_text(hub)
    assert all(t in text for t in wrong_tokens) and wrong in text

    monkeypatch.setenv("ODAHUB_HOME", str(hub.settings.home))
    monkeypatch.delenv("ODAHUB_DATABASE_URL", raising=False)
    runner = CliRunner()
    opened = runner.invoke(app, ["rights", "open", "rectification", "--person", wrong,
                                 "--record", f"{DATASET}:{record_id}", "--actor", "dpo_police",
                                 "--notes", "surname and date of birth keyed wrongly"])
    assert opened.exit_code == 0, opened.output
    request = int(opened.stdout.strip().splitlines()[-1])
    redelivery = tmp_path / "redelivery"
    redelivery.mkdir()
    original = next((county / "feeds" / DATASET).iterdir())
    shutil.copy(original, redelivery / original.name)  # the partner's corrected feed
    ingested = runner.invoke(app, ["ingest", DATASET, str(redelivery / original.name)])
    assert ingested.exit_code == 0, ingested.output

    done = runner.invoke(app, ["rights", "rectify", str(request), "--dataset", DATASET,
                               "--actor", "dpo_police", "--json"])
    assert done.exit_code == 0, done.output
    progress = json.loads(done.stdout)
    assert progress["done"] and progress["stale"] == [], progress
    result = progress["result"]
    assert result["fields"] == {record_id: ["date_of_birth", "last_name"]}, result
    assert result["persons_before"] == [wrong] and result["persons_after"] == [right], result
    assert set(progress["stages"]) >= {"privacy", "link", "analyse"}

    # the golden nominal and the marts reflect the correction
    assert person_of(hub, record_id) == right
    features = hub.lake.read_latest("marts", "person_features")
    persons = set(features["person_id"].to_pylist())
    assert right in persons and wrong not in persons
    years = {d.year for d in features["birth_date"].to_pylist() if d is not None}
    assert WRONG_DOB.year not in years
    identified = hub.lake.read_latest("identified", DATASET)
    fixed = identified.filter(pc.equal(identified["record_id"], record_id)).to_pylist()[0]
    assert fixed["last_name"] != WRONG_SURNAME.upper() and fixed["date_of_birth"] != WRONG_DOB
    # the wrong values are in no current pseudonymised, linked or marts table
    text = current_text(hub)
    for needle in [*wrong_tokens, WRONG_SURNAME.upper()]:
        assert needle not in text, needle

    # tracked to completion and audited, without the values themselves
    assert rights.get(hub.catalog, request).status == "done"
    actions = [e["action"] for e in audit.entries(hub.catalog, limit=10_000)]
    assert {"rights.rectification.open", "rights.rectification.delivery",
            "rights.rectification.done"} <= set(actions)
    trail = json.dumps(audit.entries(hub.catalog, limit=10_000), default=str)
    assert WRONG_SURNAME.upper() not in trail and "date_of_birth" in trail
    assert audit.verify(hub.catalog).ok
