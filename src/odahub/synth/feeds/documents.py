"""Case notes as partners keep them: DOCX, PDF and TXT notes, scanned pages (PNG) and voicemail
recordings (WAV). Names, dates of birth, addresses, postcodes, phone and NHS numbers sit in free
text; each one's character span in the note's text is recorded for redaction tests.

The note's text is its lines joined by "\\n": the TXT file's content, the DOCX paragraphs, the
PDF's text lines (one drawString per line) and the lines drawn on the scanned page.
"""

from __future__ import annotations

import io
import wave
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from odahub.synth.feeds.base import Feed
from odahub.synth.feeds.records import base_frame
from odahub.synth.feeds.writers import FIXED_TIME
from odahub.synth.geography import Geography
from odahub.synth.simulate import ChunkLife

WORKERS = ("Sam Okafor", "Priya Raman", "Tom Hartley", "Grace Mensah", "Lucy Whitfield")
ROLES = ("Social worker", "Family support worker", "Team manager", "Early help practitioner")
CONCERNS = {
    "substance": "Mother disclosed that her partner has been drinking heavily again.",
    "da": "Police attended the address last month following a verbal argument.",
    "mh": "Parent reports low mood and is awaiting a GP review.",
    "none": "Home conditions were adequate and the child appeared settled.",
}

FEED = Feed(
    dataset="case_notes", partner="ccc", format="documents", file="",
    record_id="document_id", event_type="case_note", id_prefix="CN",
    description="Case notes from children's social care: DOCX, PDF and TXT notes, scanned "
    "pages (PNG) and voicemail recordings (WAV); one record per file",
    build=lambda frame, ragged: frame, sources=("cin_referral",),
    columns={"document_id": {"type": "string"}, "text": {"role": "free_text"}})


@dataclass
class Note:
    lines: list[str] = field(default_factory=lambda: [""])
    spans: list[tuple[str, str, int, int]] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def add(self, part: str, kind: str | None = None) -> None:
        if kind is not None:
            start = len(self.text)
            self.spans.append((kind, part, start, start + len(part)))
        self.lines[-1] += part

    def newline(self) -> None:
        self.lines.append("")


def write_documents(out: Path, life: ChunkLife, geo: Geography, count: int,
                    rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Write `count` notes (+ scans and recordings); returns (records, pii) truth frames."""
    folder = out / "feeds" / FEED.dataset
    folder.mkdir(parents=True, exist_ok=True)
    cin = life.events[life.events["event_type"] == "cin_referral"]
    chosen = cin.iloc[np.sort(rng.choice(len(cin), size=min(count, len(cin)), replace=False))]
    frame = base_frame(life, geo, chosen)
    hh = life.population.households
    persons = life.population.persons
    parents = persons[persons["is_parent"].to_numpy(dtype=bool)].drop_duplicates("hh0")
    parent_of = parents.set_index("hh0")
    records: list[dict[str, object]] = []
    pii: list[dict[str, object]] = []
    for i, row in enumerate(frame.itertuples(index=False)):
        doc_id = f"CN{i:06d}"
        note = _note(row, hh, doc_id, rng)
        home = int(row.household)
        if home in parent_of.index:
            _parent(note, parent_of.loc[home])
        kind = ("txt", "docx", "pdf", "png", "txt", "docx", "pdf", "wav")[i % 8]
        name = f"{doc_id}.{kind}"
        _write(folder / name, kind, note)
        records.append({"dataset": FEED.dataset, "record_id": doc_id,
                        "person_id": row.person_id, "household_id": row.household_id,
                        "event_id": row.event_id})
        spans = [] if kind == "wav" else note.spans
        pii.extend({"dataset": FEED.dataset, "file": f"feeds/{FEED.dataset}/{name}",
                    "record_id": doc_id, "field": "text", "kind": kind_, "value": value,
                    "start": start, "end": end} for kind_, value, start, end in spans)
    pii_frame = pd.DataFrame(pii, columns=["dataset", "file", "record_id", "field", "kind",
                                           "value", "start", "end"])
    pii_frame["start"] = pii_frame["start"].astype("Int64")
    pii_frame["end"] = pii_frame["end"].astype("Int64")
    return pd.DataFrame(records), pii_frame


def _note(row: object, hh: pd.DataFrame, doc_id: str, rng: np.random.Generator) -> Note:
    r = row  # a namedtuple of base_frame columns
    home = hh.iloc[int(r.household)]  # type: ignore[attr-defined]
    note = Note()
    note.add(f"CASE NOTE {doc_id} - Children's Social Care")
    note.newline()
    visit = pd.Timestamp(r.date).strftime("%d %B %Y")  # type: ignore[attr-defined]
    note.add(f"Date of visit: {visit}. Author: {WORKERS[int(rng.integers(0, 5))]} "
             f"({ROLES[int(rng.integers(0, 4))]}).")
    note.newline()
    note.add("Visited ")
    note.add(str(r.first_name), "first_name")  # type: ignore[attr-defined]
    note.add(" ")
    note.add(str(r.surname), "last_name")  # type: ignore[attr-defined]
    note.add(" (DOB ")
    note.add(pd.Timestamp(r.dob).strftime("%d/%m/%Y"), "date_of_birth")  # type: ignore[attr-defined]
    note.add(") at ")
    note.add(str(r.address), "address")  # type: ignore[attr-defined]
    note.add(", ")
    note.add(str(r.postcode), "postcode")  # type: ignore[attr-defined]
    note.add(".")
    note.newline()
    note.add("NHS number ")
    note.add(str(r.nhs_number), "nhs_number")  # type: ignore[attr-defined]
    note.add(" confirmed with the health visitor.")
    if r.phone is not None:  # type: ignore[attr-defined]
        note.newline()
        note.add("Household contact number: ")
        note.add(str(r.phone), "phone")  # type: ignore[attr-defined]
        note.add(".")
    for factor, key in (("substance_misuse", "substance"), ("da_history", "da"),
                        ("mental_health", "mh")):
        if bool(home[factor]):
            note.newline()
            note.add(CONCERNS[key])
    note.newline()
    note.add(CONCERNS["none"] if not home["da_history"] else "Safety plan reviewed with mother.")
    return note


def _parent(note: Note, parent: pd.Series) -> None:
    note.newline()
    note.add("Parent/carer present: ")
    note.add(str(parent["first_name"]), "first_name")
    note.add(" ")
    note.add(str(parent["surname"]), "last_name")
    if parent["phone"] is not None:
        note.add(", tel. ")
        note.add(str(parent["phone"]), "phone")
    if parent["email"] is not None:
        note.add(", email ")
        note.add(str(parent["email"]), "email")
    note.add(".")


def _write(path: Path, kind: str, note: Note) -> None:
    if kind == "txt":
        path.write_bytes(note.text.encode("utf-8"))
    elif kind == "docx":
        _docx(path, note)
    elif kind == "pdf":
        _pdf(path, note)
    elif kind == "png":
        _png(path, note)
    else:
        _wav(path, len(note.text))


def _docx(path: Path, note: Note) -> None:
    import docx

    document = docx.Document()
    for line in note.lines:
        document.add_paragraph(line)
    props = document.core_properties
    props.author = "Children's Social Care"
    props.created = props.modified = props.last_printed = FIXED_TIME
    buffer = io.BytesIO()
    document.save(buffer)
    _fixed_zip(buffer.getvalue(), path)


def _fixed_zip(data: bytes, path: Path) -> None:
    """Re-pack a zip with fixed member timestamps so the bytes depend only on the content."""
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(
            path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2026, 1, 5, 9, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, source.read(info.filename))


def _pdf(path: Path, note: Note) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    pdf.setTitle("Case note")
    pdf.setFont("Helvetica", 10)
    y = A4[1] - 60
    for line in note.lines:
        pdf.drawString(50, y, line)
        y -= 16
    pdf.showPage()
    pdf.save()


def _png(path: Path, note: Note) -> None:
    """A 'scanned' page: the note's lines drawn on an off-white page with speckle."""
    from PIL import Image, ImageDraw, ImageFont

    page = Image.new("L", (1240, 600), color=245)
    draw = ImageDraw.Draw(page)
    font = ImageFont.load_default(size=22)
    for i, line in enumerate(note.lines):
        draw.text((40, 40 + i * 34), line, fill=20, font=font)
    speckle = np.random.default_rng(len(note.text)).random((600, 1240)) < 0.002
    pixels = np.asarray(page).copy()
    pixels[speckle] = 90
    Image.fromarray(pixels).save(path, format="PNG", optimize=False)


def _wav(path: Path, length: int) -> None:
    """A short voicemail-like recording (two tones); its content is not machine-readable."""
    rate = 8000
    t = np.arange(int(rate * 1.5)) / rate
    signal = 0.3 * np.sin(2 * np.pi * (300 + length % 200) * t) * np.exp(-t)
    with wave.open(str(path), "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(rate)
        audio.writeframes((signal * 32767).astype("<i2").tobytes())


