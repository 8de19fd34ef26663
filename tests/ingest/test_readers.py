"""Each format, read through a delivery, gives the same standardised records."""

from __future__ import annotations

import json
import wave
from email.message import EmailMessage
from pathlib import Path

import docx
import pyarrow as pa
import pyarrow.parquet as pq
import xlsxwriter
from PIL import Image
from reportlab.pdfgen import canvas

from odahub.hub import Hub
from odahub.ingest.deliver import ingest_files
from tests.ingest.helpers import register

PEOPLE = [("R1", "Zoë", "Brontë", "01/02/2010"), ("R2", "Ben", "O'Hara", "03/04/2011")]
SPEC = """\
dataset: {name}
partner: council
format: {format}
options: {options}
record_id: ref
event_type: cin_referral
columns:
  forename: {{role: first_name}}
  surname: {{role: last_name}}
  dob: {{role: date_of_birth}}
"""


def ingest(hub: Hub, fmt: str, path: Path, options: str = "{}") -> list[dict[str, object]]:
    spec = register(hub, SPEC.format(name=f"feed_{fmt}", format=fmt, options=options))
    result = ingest_files(hub, spec.dataset, [path])
    assert result.rows_accepted + result.rows_quarantined == result.rows_read
    rows: list[dict[str, object]] = hub.lake.read_latest("identified", spec.dataset).to_pylist()
    return rows


def names(rows: list[dict[str, object]]) -> list[tuple[object, ...]]:
    return [(r["record_id"], r["first_name"], r["last_name"], str(r["date_of_birth"]))
            for r in rows]


EXPECTED = [("R1", "ZOË", "BRONTË", "2010-02-01"), ("R2", "BEN", "O'HARA", "2011-04-03")]


def test_csv_in_windows_1252_with_semicolons_is_detected(sqlite_hub: Hub, tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    lines = ["ref;forename;surname;dob"] + [";".join(p) for p in PEOPLE]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    assert names(ingest(sqlite_hub, "csv", path)) == EXPECTED


def test_excel_with_title_rows_and_merged_header(sqlite_hub: Hub, tmp_path: Path) -> None:
    path = tmp_path / "people.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Referrals")
    sheet.write(0, 0, "Children's services referrals — quarter 2")
    sheet.merge_range(2, 1, 2, 2, "name")  # a merged cell over the two name columns
    sheet.write_row(3, 0, ["ref", "forename", "surname", "dob"])
    for row, person in enumerate(PEOPLE, start=4):
        sheet.write_row(row, 0, person)
    book.close()
    rows = ingest(sqlite_hub, "xlsx", path, "{sheet: Referrals, header_row: 4}")
    assert names(rows) == EXPECTED
    assert [r["source_row"] for r in rows] == [5, 6]  # spreadsheet row numbers


def test_json_with_record_path_and_ndjson(sqlite_hub: Hub, tmp_path: Path) -> None:
    records = [dict(zip(("ref", "forename", "surname", "dob"), p, strict=True)) for p in PEOPLE]
    document = tmp_path / "people.json"
    document.write_text(json.dumps({"meta": {"n": 2}, "data": {"records": records}}))
    assert names(ingest(sqlite_hub, "json", document, "{record_path: data.records}")) == EXPECTED
    lines = tmp_path / "people.ndjson"
    lines.write_text("".join(json.dumps(r) + "\n" for r in records))
    assert names(ingest(sqlite_hub, "ndjson", lines)) == EXPECTED


def test_xml_records_stream(sqlite_hub: Hub, tmp_path: Path) -> None:
    body = "".join(f'<referral ref="{p[0]}"><forename>{p[1]}</forename><surname>{p[2]}'
                   f"</surname><dob>{p[3]}</dob></referral>\n" for p in PEOPLE)
    path = tmp_path / "people.xml"
    path.write_text(f'<?xml version="1.0" encoding="UTF-8"?>\n<referrals>\n{body}</referrals>\n',
                    encoding="utf-8")
    rows = ingest(sqlite_hub, "xml", path)
    assert names(rows) == EXPECTED and [r["source_row"] for r in rows] == [3, 4]


def test_parquet(sqlite_hub: Hub, tmp_path: Path) -> None:
    path = tmp_path / "people.parquet"
    pq.write_table(pa.table({k: [p[i] for p in PEOPLE] for i, k in enumerate(
        ("ref", "forename", "surname", "dob"))}), path)
    assert names(ingest(sqlite_hub, "parquet", path)) == EXPECTED


DOCS_SPEC = """\
dataset: case_notes
partner: council
format: documents
record_id: document_id
event_type: case_note
columns:
  text: {role: free_text}
  author: {attribute: author_role}
  created: {type: string}
  text_method: {type: string}
  text_confidence: {type: number}
  duration_seconds: {type: number}
  media_type: {type: string}
"""


def write_documents(folder: Path) -> list[Path]:
    pdf = folder / "note1.pdf"
    page = canvas.Canvas(str(pdf))
    page.setAuthor("social worker")
    page.drawString(72, 720, "Home visit: children well, school attendance improving.")
    page.save()
    word = folder / "note2.docx"
    document = docx.Document()
    document.add_paragraph("Referral received from school nurse.")
    document.core_properties.author = "early help"
    document.save(str(word))
    (folder / "note3.txt").write_text("Telephone call with parent.")
    (folder / "note4.html").write_text("<html><head><title>Visit</title><script>x()</script>"
                                      "</head><body><p>Family seen at <b>home</b>.</p></body>"
                                      "</html>")
    mail = EmailMessage()
    mail["Subject"], mail["From"], mail["To"] = "Strategy meeting", "a@x.gov.uk", "b@y.nhs.uk"
    mail.set_content("Strategy meeting arranged for Monday.")
    (folder / "note5.eml").write_bytes(bytes(mail))
    Image.new("RGB", (40, 20), "white").save(folder / "scan6.png")
    with wave.open(str(folder / "call7.wav"), "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(8000)
        sound.writeframes(b"\0\0" * 16000)
    (folder / "odd8.xyz").write_text("?")
    return sorted(folder.iterdir())


def test_documents_images_and_sound_are_one_record_each(sqlite_hub: Hub, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    spec = register(sqlite_hub, DOCS_SPEC)
    result = ingest_files(sqlite_hub, spec.dataset, write_documents(folder))
    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (8, 7, 1)
    rows = {r["record_id"]: r for r in sqlite_hub.lake.read_latest(
        "identified", spec.dataset).to_pylist()}
    assert "school attendance improving" in str(rows["note1"]["free_text"])
    assert rows["note1"]["text_method"] == "parser:pypdf"
    assert rows["note1"]["author_role"] == "social worker"
    assert rows["note2"]["free_text"] == "Referral received from school nurse."
    assert rows["note3"]["text_method"] == "parser:text"
    assert rows["note4"]["free_text"] == "Visit Family seen at home."
    assert "Monday" in str(rows["note5"]["free_text"]) and rows["note5"]["text_confidence"] == 1
    assert rows["scan6"]["media_type"] == "image/png" and rows["scan6"]["text_method"] in (
        "none", "ocr:tesseract")
    assert rows["call7"]["duration_seconds"] == 2.0 and rows["call7"]["free_text"] is None
    quarantined = sqlite_hub.lake.read_latest("quarantine", spec.dataset).to_pylist()
    assert quarantined[0]["source_file"] == "odd8.xyz"
    assert "unsupported document type" in quarantined[0]["reason"]
