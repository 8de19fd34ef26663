"""Case notes as partners keep them: DOCX, PDF and TXT notes, scanned pages (PNG) and voicemail
recordings (WAV). Names, dates of birth, addresses, postcodes, phone, NHS and NI numbers, email
addresses and vehicle registrations sit in free text, in the varied forms people write them; each
one's character span in the note's text is recorded (`truth/pii.parquet`) for redaction tests.

The note's text is its lines joined by "\\n": the TXT file's content, the DOCX paragraphs, the
PDF's text lines (one drawString per line) and the lines drawn on the scanned page.
"""

from __future__ import annotations

import io
import re
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

# Sentences around planted identifiers: (text before, text after). Surface forms vary as notes
# written by different people do; each planted value is recorded exactly as written.
VISITS = (("Visited ", " (DOB "), ("Home visit to ", " (born "), ("Saw ", " (d.o.b. "),
          ("Visited ", " (date of birth: "), ("Met with ", " (DoB "))
NHS_SENTENCES = (("NHS number ", " confirmed with the health visitor."),
                 ("NHS no. ", " checked against the GP record."), ("Child's NHS No: ", "."),
                 ("NHS number (", ") confirmed with the school nurse."))
SUBJECT_NI = (("NI number ", " (young person has started a college course)."),
              ("National Insurance no. ", " confirmed for the Pathway Plan."), ("NINO: ", "."))
PARENT_NI = (("Benefits check: Mum's NI no. ", " (Universal Credit claim)."),
             ("Parent's National Insurance number is ", "."),
             ("DWP enquiry made using NI number ", "; awaiting reply."),
             ("NI: ", ", per the housing application."))
SUBJECT_EMAIL = (("Young person's email: ", "."), ("Contact by email at ", " was agreed."))
PARENT_EMAIL = (("Mum asked for letters to be sent to ", "."),
                ("Copy of the plan emailed to ", " today."),
                ("Contact details updated (email: ", ")."),
                ("Please use <", "> for appointments."))
VEHICLES = (("Partner's car (reg. ", ") was parked outside."),
            ("A vehicle, registration ", ", was seen outside the address."),
            ("Police PNC check on vehicle ", " noted."), ("Father drives a grey Vauxhall, ", "."))
# Text every note prints around its planted values whoever it is about (see template_words).
FIXED_TEXT = ("CASE NOTE - Children's Social Care", "Date of visit:", "Author:",
              "Household contact number:", "Safety plan reviewed with mother.",
              "Parent/carer present:", ", tel.", ", email", ") at")
# Current-format registrations: area letters, an age identifier (March or September of
# 2005-2023), three letters; DVLA never issues I or Q in them, nor Z in an area code.
AREA_LETTERS = np.asarray(list("ABCDEFGHJKLMNOPRSTUVWXY"))
PLATE_LETTERS = np.asarray(list("ABCDEFGHJKLMNOPRSTUVWXYZ"))
PLATE_AGES = np.asarray([*range(5, 24), *range(55, 74)])

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
            _parent(note, parent_of.loc[home], rng)
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
    opening, dob_label = VISITS[int(rng.integers(0, len(VISITS)))]
    note.add(opening)
    note.add(str(r.first_name), "first_name")  # type: ignore[attr-defined]
    note.add(" ")
    note.add(str(r.surname), "last_name")  # type: ignore[attr-defined]
    note.add(dob_label)
    note.add(date_form(pd.Timestamp(r.dob), rng), "date_of_birth")  # type: ignore[attr-defined]
    note.add(") at ")
    note.add(str(r.address), "address")  # type: ignore[attr-defined]
    note.add(", ")
    note.add(str(r.postcode), "postcode")  # type: ignore[attr-defined]
    note.add(".")
    note.newline()
    before, after = NHS_SENTENCES[int(rng.integers(0, len(NHS_SENTENCES)))]
    note.add(before)
    note.add(nhs_form(str(r.nhs_number), rng), "nhs_number")  # type: ignore[attr-defined]
    note.add(after)
    if r.ni_number is not None and rng.random() < 0.7:  # type: ignore[attr-defined]
        note.newline()
        _mention(note, rng, SUBJECT_NI, ni_form(str(r.ni_number), rng),  # type: ignore[attr-defined]
                 "ni_number")
    if r.phone is not None:  # type: ignore[attr-defined]
        note.newline()
        note.add("Household contact number: ")
        note.add(phone_form(str(r.phone), rng), "phone")  # type: ignore[attr-defined]
        note.add(".")
    if r.email is not None:  # type: ignore[attr-defined]
        note.newline()
        _mention(note, rng, SUBJECT_EMAIL, email_form(str(r.email), rng),  # type: ignore[attr-defined]
                 "email")
    for factor, key in (("substance_misuse", "substance"), ("da_history", "da"),
                        ("mental_health", "mh")):
        if bool(home[factor]):
            note.newline()
            note.add(CONCERNS[key])
            if key in ("substance", "da") and rng.random() < 0.5:
                note.newline()
                _mention(note, rng, VEHICLES, vehicle_registration(rng), "vehicle_registration")
    note.newline()
    note.add(CONCERNS["none"] if not home["da_history"] else "Safety plan reviewed with mother.")
    return note


def _mention(note: Note, rng: np.random.Generator, sentences: tuple[tuple[str, str], ...],
             value: str, kind: str) -> None:
    """One of `sentences` (text before, text after) with `value` planted between."""
    before, after = sentences[int(rng.integers(0, len(sentences)))]
    note.add(before)
    note.add(value, kind)
    note.add(after)


def _parent(note: Note, parent: pd.Series, rng: np.random.Generator) -> None:
    note.newline()
    note.add("Parent/carer present: ")
    note.add(str(parent["first_name"]), "first_name")
    note.add(" ")
    note.add(str(parent["surname"]), "last_name")
    if parent["phone"] is not None:
        note.add(", tel. ")
        note.add(phone_form(str(parent["phone"]), rng), "phone")
    if parent["email"] is not None:
        note.add(", email ")
        note.add(email_form(str(parent["email"]), rng), "email")
    note.add(".")
    if parent["email"] is not None and rng.random() < 0.5:
        note.newline()
        _mention(note, rng, PARENT_EMAIL, email_form(str(parent["email"]), rng), "email")
    if parent["ni_number"] is not None and rng.random() < 0.6:
        note.newline()
        _mention(note, rng, PARENT_NI, ni_form(str(parent["ni_number"]), rng), "ni_number")


def template_words() -> frozenset[str]:
    """Every word the notes print besides planted values, dates, ids and staff names: the feed's
    fixed vocabulary. A planted value equal to one of these ("Care", a keyed-in typo of a first
    name) cannot leak through it; leak tests leave these words out of the names they look for."""
    sentences = [*FIXED_TEXT, *ROLES, *CONCERNS.values()]
    for pairs in (VISITS, NHS_SENTENCES, SUBJECT_NI, PARENT_NI, SUBJECT_EMAIL, PARENT_EMAIL,
                  VEHICLES):
        sentences += [part for pair in pairs for part in pair]
    return frozenset(re.findall(r"[^\W\d_]+", " ".join(sentences)))


def _choose(rng: np.random.Generator, weights: tuple[float, ...]) -> int:
    return int(rng.choice(len(weights), p=np.asarray(weights) / sum(weights)))


def ordinal(day: int) -> str:
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def date_form(day: pd.Timestamp, rng: np.random.Generator) -> str:
    """A date as people write it: mostly dd/mm/yyyy, else another common form."""
    forms = (day.strftime("%d/%m/%Y"), day.strftime("%d.%m.%Y"), day.strftime("%Y-%m-%d"),
             day.strftime("%d-%m-%Y"), f"{day.day} {day.strftime('%B %Y')}",
             f"{ordinal(day.day)} {day.strftime('%B %Y')}", f"{day.day} {day.strftime('%b %Y')}")
    return forms[_choose(rng, (0.4, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1))]


def nhs_form(number: str, rng: np.random.Generator) -> str:
    forms = (number, f"{number[:3]} {number[3:6]} {number[6:]}",
             f"{number[:3]}-{number[3:6]}-{number[6:]}")
    return forms[_choose(rng, (0.5, 0.35, 0.15))]


def ni_form(number: str, rng: np.random.Generator) -> str:
    """QQ123456C, QQ 12 34 56 C (as printed on the card), QQ 123456 C, or lower case."""
    spaced = f"{number[:2]} {number[2:4]} {number[4:6]} {number[6:8]} {number[8]}"
    forms = (number, spaced, f"{number[:2]} {number[2:8]} {number[8]}", number.lower())
    return forms[_choose(rng, (0.4, 0.35, 0.15, 0.1))]


def phone_form(number: str, rng: np.random.Generator) -> str:
    digits = number.replace(" ", "")
    if digits.startswith("07") and len(digits) == 11:
        mobile = (digits, f"{digits[:5]} {digits[5:]}",
                  f"{digits[:5]} {digits[5:8]} {digits[8:]}", f"+44 {digits[1:5]} {digits[5:]}")
        return mobile[_choose(rng, (0.5, 0.25, 0.1, 0.15))]
    landline = (number, f"({digits[:5]}) {digits[5:]}", digits)
    return landline[_choose(rng, (0.6, 0.2, 0.2))]


def email_form(address: str, rng: np.random.Generator) -> str:
    """As held, or with the local part capitalised as some people type it."""
    if rng.random() < 0.85:
        return address
    local, _, domain = address.partition("@")
    return ".".join(part.capitalize() for part in local.split(".")) + "@" + domain


def vehicle_registration(rng: np.random.Generator) -> str:
    """A current-format UK registration, e.g. AB12 CDE (sometimes written without the space)."""
    area = "".join(AREA_LETTERS[rng.integers(0, len(AREA_LETTERS), 2)])
    age = int(PLATE_AGES[rng.integers(0, len(PLATE_AGES))])
    letters = "".join(PLATE_LETTERS[rng.integers(0, len(PLATE_LETTERS), 3)])
    return f"{area}{age:02d}{' ' if rng.random() < 0.8 else ''}{letters}"


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

    font = ImageFont.load_default(size=22)
    # wide and tall enough for the longest line and every line (nothing clipped for OCR)
    width = max(1240, 80 + int(max(font.getlength(line) for line in note.lines)))
    height = max(600, 80 + 34 * len(note.lines))
    page = Image.new("L", (width, height), color=245)
    draw = ImageDraw.Draw(page)
    for i, line in enumerate(note.lines):
        draw.text((40, 40 + i * 34), line, fill=20, font=font)
    speckle = np.random.default_rng(len(note.text)).random((height, width)) < 0.002
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


