"""ADR 0084: the cheaper ingest gives the same values, splits and versions as before."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from odahub.engine.duck import DuckDBEngine
from odahub.hub import Hub
from odahub.ingest import deliver
from odahub.ingest.deliver import ingest_files, may_be_identical, sha256_of
from odahub.ingest.process import without_rows
from odahub.ingest.rules import cleaned, nhs_rule
from odahub.ingest.views import version_rows
from tests.ingest.helpers import GOOD_ROWS, register, write_csv


@pytest.fixture(scope="module")
def engine() -> Iterator[DuckDBEngine]:
    made = DuckDBEngine()
    yield made
    made.close()


SPACES = ["", " ", "\u00a0", "\u3000", "\u2009", "\u202f", "\t"]
CORES = ["", "a", "!", "~", "\x7f", "Zoë", "é", "a b", "CB2 1TN", "x\u00a0y", "\u00e9\u00a0"]


def test_cleaned_text_is_trimmed_text_or_null(engine: DuckDBEngine) -> None:
    values = [f"{left}{core}{right}" for left in SPACES for core in CORES for right in SPACES]
    table = pa.table({"v": pa.array([*values, None], pa.string())})
    engine.register("texts", table)
    try:
        got = engine.sql(f"SELECT {cleaned('v')} AS fast, NULLIF(trim(v), '') AS slow "
                         "FROM texts").to_pylist()
    finally:
        engine.unregister("texts")
    assert [r["fast"] for r in got] == [r["slow"] for r in got]
    assert got[values.index(" a ")]["fast"] == "a" and got[values.index("\u3000")]["fast"] is None


def nhs_valid(number: str) -> bool:
    """The NHS number check digit, digit by digit (the reference for the SQL)."""
    total = sum(int(d) * (10 - i) for i, d in enumerate(number[:9]))
    check = 11 - total % 11
    return check != 10 and check % 11 == int(number[9])


def test_nhs_check_digit_matches_the_digit_by_digit_rule(engine: DuckDBEngine) -> None:
    rng = random.Random(84)
    numbers = [f"{rng.randrange(10**10):010d}" for _ in range(5000)]
    numbers += ["9434765919", "0000000000", "9999999999", "4010232137", "0123456789"]
    rule = nhs_rule("v", "nhs_number")
    engine.register("numbers", pa.table({"v": numbers}))
    try:
        got = engine.sql(f"SELECT {rule.value} AS value FROM numbers").to_pylist()
    finally:
        engine.unregister("numbers")
    expected = [n if nhs_valid(n) else None for n in numbers]
    assert [r["value"] for r in got] == expected
    assert 300 < sum(e is not None for e in expected) < 5000  # both outcomes are exercised


@pytest.mark.parametrize("rejected", [[], [0], [999], [0, 1, 2], [5, 500, 998, 999],
                                      list(range(0, 1000, 3)), list(range(1000))])
def test_rows_are_removed_by_slicing_as_by_filtering(rejected: list[int]) -> None:
    table = pa.table({"n": list(range(1000)), "s": [str(i) for i in range(1000)]})
    mask = pa.array([i in set(rejected) for i in range(1000)])
    expected = table.filter(pc.invert(mask))
    assert without_rows(table, mask).equals(expected)
    assert without_rows(table.to_batches()[0], mask).equals(expected)


@pytest.mark.parametrize("content", [b"", b"a", b"a\nbb\n", b"x" * 100 + b"\ny"])
def test_sha256_of_a_mapped_file_is_its_sha256(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(content)
    assert sha256_of(path) == sha256_of(path, 1000) == hashlib.sha256(content).hexdigest()


def test_hash_beside_the_work_is_recorded_and_an_identical_file_still_skipped(
        hub: Hub, tmp_path: Path) -> None:
    register(hub)
    first = write_csv(tmp_path / "a.csv")
    assert not may_be_identical(hub, "police_incidents", [first])  # nothing landed yet
    result = ingest_files(hub, "police_incidents", [first])
    sha = hashlib.sha256(first.read_bytes()).hexdigest()
    assert result.sha256 == sha and result.files[0].sha256 == sha
    assert version_rows(hub, "police_incidents")[0]["sha256"] == sha
    landing = hub.lake.require_latest("landing", "police_incidents")
    assert (hub.lake.path_of(landing) / "SHA256SUMS").read_text() == f"{sha}  a.csv\n"
    # Same size: hashed first, and skipped; another size cannot be identical.
    assert may_be_identical(hub, "police_incidents", [first])
    other = write_csv(tmp_path / "b.csv", [*GOOD_ROWS, GOOD_ROWS[0].replace("I1", "I7")])
    assert not may_be_identical(hub, "police_incidents", [other])
    assert ingest_files(hub, "police_incidents", [first]).duplicate_of == 1


def test_identical_delivery_found_only_at_the_commit_leaves_no_version(
        hub: Hub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    register(hub)
    path = write_csv(tmp_path / "a.csv")
    assert ingest_files(hub, "police_incidents", [path]).version == 1
    # As if another run committed the same bytes while this one worked.
    monkeypatch.setattr(deliver, "may_be_identical", lambda *_args: False)
    again = ingest_files(hub, "police_incidents", [path])
    assert again.duplicate_of == 1 and again.version is None and again.files == []
    for zone in ("identified", "landing", "quarantine"):
        assert [v.version for v in hub.lake.versions(zone, "police_incidents")] == [1]
