"""Every bad delivery the issue lists: a clear message naming file/row/column, no new version,
and the previous version untouched."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import xlsxwriter

from odahub.errors import DeliveryError
from odahub.hub import Hub
from odahub.ingest.deliver import ingest_files
from tests.ingest.helpers import GOOD_ROWS, HEADER, SPEC, register, write_csv

SMALL = """\
dataset: referrals
partner: council
format: {format}
options: {options}
record_id: ref
columns:
  forename: {{role: first_name}}
  dob: {{role: date_of_birth, format: "%d/%m/%Y"}}
"""
UTF8_SPEC = SPEC.replace("format: csv\n", "format: csv\noptions: {encoding: utf-8}\n")


def small(fmt: str, options: str = "{}") -> str:
    return SMALL.format(format=fmt, options=options)


def good_xlsx(path: Path) -> Path:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Referrals")
    for row, values in enumerate([["ref", "forename", "dob"], ["R1", "Amy", "01/02/2010"],
                                  ["R2", "Ben", "03/04/2011"]]):
        sheet.write_row(row, 0, values)
    book.close()
    return path


def truncated_xlsx(path: Path) -> Path:
    data = good_xlsx(path).read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def text(content: str) -> Callable[[Path], Path]:
    def write(path: Path) -> Path:
        path.write_text(content)
        return path
    return write


def csv_bytes(content: bytes) -> Callable[[Path], Path]:
    def write(path: Path) -> Path:
        path.write_bytes(content)
        return path
    return write


CASES = {
    "wrong encoding": (UTF8_SPEC, "csv", csv_bytes(
        (HEADER + GOOD_ROWS[0] + "I2,Zoë,Brontë,01/01/1990,CB2 1TN,,06/06/2020,,open\n"
         ).encode("cp1252")), ["not valid utf-8", "line 3", "cp1252"]),
    "truncated file": (SPEC, "csv", text(HEADER + GOOD_ROWS[0] + "I2,Jane,Smi"),
                       ["could not be split", "line 3", "truncated"]),
    "xlsx that is really a csv": (small("xlsx"), "xlsx", text("ref,forename,dob\nR1,A,1\n"),
                                  ["not an Excel workbook", "CSV"]),
    "truncated xlsx": (small("xlsx"), "xlsx", truncated_xlsx, ["cannot be read"]),
    "spec names a column the file lacks": (
        SPEC, "csv", text(HEADER.replace(",nhs", "") + "I1,A,B,01/01/1990,CB2 1TN,"
                          "05/06/2020,x,open\n"), ["column nhs", "not in the file"]),
    "empty file": (SPEC, "csv", text(""), ["the file is empty"]),
    "header only": (SPEC, "csv", text(HEADER), ["holds no records"]),
    "extra columns": (SPEC, "csv", text(HEADER.replace("status", "status,notes") +
                                        GOOD_ROWS[0].replace("open", "open,hello")),
                      ["column notes", "not in the spec"]),
    "ragged rows": (SPEC, "csv", text(HEADER + GOOD_ROWS[0] + "I2,a,b,c\n" +
                                      GOOD_ROWS[1].replace("closed", "closed,x,y")),
                    ["2 row(s) (67%) could not be split", "line 3", "line 4"]),
    "malformed json": (small("json"), "json", text('[{"ref": "R1", "forename": "A", '
                                                   '"dob": "01/01/2000"},\n{"ref": "R2", '),
                       ["malformed JSON"]),
    "malformed ndjson": (small("ndjson"), "ndjson", text(
        '{"ref": "R1", "forename": "A", "dob": "01/01/2000"}\n{"ref": "R2" "forename"}\n'),
        ["malformed JSON", "line 2"]),
    "malformed xml": (small("xml"), "xml", text(
        "<rows>\n<row><ref>R1</ref><forename>A</forename><dob>01/01/2000</dob></row>\n"
        "<row><ref>R2</ref><forename>B</row>\n</rows>\n"), ["malformed XML", "line 3"]),
}
GOOD = {"csv": lambda p: write_csv(p), "xlsx": good_xlsx,
        "json": text('[{"ref": "R1", "forename": "Amy", "dob": "01/02/2010"}]'),
        "ndjson": text('{"ref": "R1", "forename": "Amy", "dob": "01/02/2010"}\n'),
        "xml": text("<rows><row><ref>R1</ref><forename>Amy</forename><dob>01/02/2010</dob>"
                    "</row></rows>")}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_delivery_fails_clearly_and_keeps_the_previous_version(
        sqlite_hub: Hub, tmp_path: Path, case: str) -> None:
    spec_text, fmt, make_bad, expected = CASES[case]
    spec = register(sqlite_hub, spec_text)
    good = GOOD[fmt](tmp_path / f"good.{fmt}")
    assert ingest_files(sqlite_hub, spec.dataset, [good]).version == 1
    before = sqlite_hub.lake.read_latest("identified", spec.dataset)

    bad = make_bad(tmp_path / f"bad.{fmt}")
    with pytest.raises(DeliveryError) as caught:
        ingest_files(sqlite_hub, spec.dataset, [bad])
    message = str(caught.value)
    assert f"bad.{fmt}" in message, message
    for fragment in expected:
        assert fragment in message, (fragment, message)

    for zone in ("landing", "identified", "quarantine"):
        assert [v.version for v in sqlite_hub.lake.versions(zone, spec.dataset)] == [1], zone
        assert [p.name for p in sqlite_hub.lake.table_dir(zone, spec.dataset).iterdir()] == [
            "v000001"], zone
    assert sqlite_hub.lake.read_latest("identified", spec.dataset).equals(before)


def test_a_few_ragged_rows_are_quarantined_within_the_allowed_share(sqlite_hub: Hub,
                                                                   tmp_path: Path) -> None:
    spec = register(sqlite_hub, SPEC.replace(
        "format: csv\n", "format: csv\noptions: {max_ragged_share: 0.5}\n"))
    path = write_csv(tmp_path / "r.csv", [GOOD_ROWS[0], "I2,a,b,c\n", GOOD_ROWS[1],
                                          GOOD_ROWS[2].replace("open", "open,extra")])
    result = ingest_files(sqlite_hub, spec.dataset, [path])
    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (4, 2, 2)
    accepted = sqlite_hub.lake.read_latest("identified", spec.dataset)
    assert accepted.column("source_row").to_pylist() == [1, 3]  # true numbers around rejects
    quarantined = sqlite_hub.lake.read_latest("quarantine", spec.dataset).to_pylist()
    assert [q["source_row"] for q in quarantined] == [2, 4]
    assert "missing columns" in quarantined[0]["reason"]


@pytest.mark.slow
def test_a_line_over_100_mb_is_refused_without_exhausting_memory(sqlite_hub: Hub,
                                                                 tmp_path: Path) -> None:
    spec = register(sqlite_hub)
    path = tmp_path / "huge.csv"
    with open(path, "w") as handle:
        handle.write(HEADER + GOOD_ROWS[0])
        handle.write("I2,Jane,Smith,01/01/1990,CB2 1TN,,05/06/2020,x,")
        chunk = "x" * (1 << 20)
        for _ in range(101):
            handle.write(chunk)
        handle.write("\n" + GOOD_ROWS[2])
    with pytest.raises(DeliveryError) as caught:
        ingest_files(sqlite_hub, spec.dataset, [path])
    message = str(caught.value)
    assert "huge.csv" in message and "line 3 is longer than the limit" in message
    assert "max_line_bytes" in message
    assert sqlite_hub.lake.versions("identified", spec.dataset) == []
