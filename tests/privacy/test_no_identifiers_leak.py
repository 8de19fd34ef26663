"""Must show: no planted identifier survives in the pseudonymised, linked or marts zones, nor in
any log file; nor does an unkeyed SHA-256 of any NHS number appear anywhere.

Planted identifiers are every value of `truth/pii.parquet` (structured fields and the case notes'
free text: names, dates of birth, NHS and NI numbers, postcodes, phones, emails, vehicle
registrations), searched in the forms they were written and in the other common forms."""

from __future__ import annotations

import calendar
import hashlib
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from odahub.hub import Hub
from odahub.model import load_model
from odahub.synth.feeds.documents import template_words

SCANNED_ZONES = ("pseudonymised", "linked", "marts")
KINDS = ("name", "dob", "date", "birth", "nhs", "ni", "postcode", "phone", "email", "vehicle")
MONTHS = "|".join(m for m in (*calendar.month_name, *calendar.month_abbr) if m)
WRITTEN_DATE = re.compile(rf"\b\d{{1,2}}(?:st|nd|rd|th)? (?:of )?(?:{MONTHS})\.?,? \d{{4}}\b")
DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d %B %Y", "%d %b %Y")


def needles(pii: pa.Table) -> tuple[set[str], set[str]]:
    """Planted identifiers in the forms a leak would take: (names, other identifiers)."""
    names: set[str] = set()
    others: set[str] = set()
    for row in pii.select(["kind", "value"]).to_pylist():
        kind, value = str(row["kind"]).lower(), str(row["value"] or "").strip()
        if not value or not any(k in kind for k in KINDS):
            continue
        if "name" in kind:  # as records and notes write names: as given, upper, title case
            names.update({value, value.upper(), value.title()})
            continue
        others.update({value, value.upper()})
        compact = re.sub(r"[\s\-]", "", value).upper()
        if "nhs" in kind or "phone" in kind or kind.startswith("ni") or "vehicle" in kind:
            others.add(compact)
        if "postcode" in kind:
            others.add(re.sub(r"\s", "", value).upper())
        others.update(written_forms(kind, compact))
    # 1-3 character values (initials, short names) would match inside unrelated text
    return {n for n in names if len(n) >= 4}, {n for n in others if len(n) >= 4}


def written_forms(kind: str, compact: str) -> set[str]:
    """The other ways notes write the same NHS number, NI number or vehicle registration."""
    if "nhs" in kind and len(compact) == 10:
        return {f"{compact[:3]}{sep}{compact[3:6]}{sep}{compact[6:]}" for sep in " -"}
    if kind.startswith("ni") and len(compact) == 9:
        return {f"{compact[:2]} {compact[2:4]} {compact[4:6]} {compact[6:8]} {compact[8]}",
                f"{compact[:2]} {compact[2:8]} {compact[8]}",
                "-".join((compact[:2], compact[2:4], compact[4:6], compact[6:8], compact[8]))}
    if "vehicle" in kind and len(compact) == 7:
        return {f"{compact[:4]} {compact[4:]}"}
    return set()


def alternation(values: set[str]) -> str:
    return "|".join(re.escape(v) for v in sorted(values, key=len, reverse=True))


def dob_forms(pii: pa.Table) -> set[str]:
    import datetime as dt

    forms: set[str] = set()
    for value in pii.filter(pc.match_substring_regex(pc.utf8_lower(pii["kind"]), "dob|birth"))[
            "value"].to_pylist():
        for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
            try:
                parsed = dt.datetime.strptime(str(value).strip(), fmt).date()
            except ValueError:
                continue
            forms.update(parsed.strftime(f) for f in DATE_FORMATS)
    return forms


def nhs_hashes(pii: pa.Table) -> set[str]:
    numbers = {re.sub(r"\D", "", str(v)) for v in pii.filter(pc.match_substring(
        pc.utf8_lower(pii["kind"]), "nhs"))["value"].to_pylist()}
    return {hashlib.sha256(n.encode()).hexdigest() for n in numbers if len(n) == 10}


def code_columns() -> set[str]:
    """Categorical columns of the model (sex, ethnicity...): a surname such as White or Black
    equal to an ethnicity code is not a leak."""
    return {name for name, role in load_model().roles.items() if role.kind == "code"}


def texts_of(path: Path) -> tuple[list[str], list[str]]:
    """(texts to search for every identifier, texts to search for all but names).

    Raw bytes of every file (Parquet decompressed to Arrow is searched as well: string cells,
    lists); code columns and raw Parquet bytes (which hold dictionary pages of code columns)
    are searched for everything but names."""
    raw = path.read_bytes().decode("latin-1")
    if path.suffix != ".parquet":
        return [raw], []
    everything: list[str] = []
    no_names = [raw]
    codes = code_columns()
    table = pq.read_table(path)
    for name, column in zip(table.column_names, table.itercolumns(), strict=True):
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            text = "\n".join(v for v in column.to_pylist() if v)
        elif pa.types.is_list(column.type) or pa.types.is_struct(column.type):
            text = str(column.to_pylist())
        else:
            continue
        (no_names if name in codes else everything).append(text)
    return everything, no_names


def scanned_files(hub: Hub) -> list[Path]:
    files = [p for zone in SCANNED_ZONES for p in hub.settings.zone(zone).rglob("*")
             if p.is_file()]
    return files + [p for p in hub.settings.logs_dir.rglob("*") if p.is_file()]


def shared_vocabulary(county: Path) -> tuple[set[str], set[str]]:
    """Values that are legitimately shared, so not leaks even where they equal an identifier:
    (ethnicity groups — a surname such as White or Black — , event dates — a date on which
    something happened may equal somebody's date of birth). The words every case note prints
    ("Children's Social Care") are shared too: `template_words()`, checked complete below."""
    persons = pq.read_table(county / "truth" / "persons.parquet")
    groups = {str(v) for v in pc.unique(persons["ethnicity"]).to_pylist() if v}
    groups |= {g.upper() for g in groups} | {g.title() for g in groups}
    events = pq.read_table(county / "truth" / "events.parquet", columns=["event_date"])
    dates = {day.strftime(form) for day in pc.unique(events["event_date"]).to_pylist() if day
             for form in DATE_FORMATS}
    return groups, dates


def recorded_event_dates(hub: Hub) -> set[str]:
    """Dates partners recorded about events (planted date errors included), i.e. every date-typed
    column of the pseudonymised zone, which holds no date of birth (those are tokens): a mart
    quoting one as evidence ("last on 2023-12-14") is not leaking a date of birth."""
    dates: set[str] = set()
    for path in hub.settings.zone("pseudonymised").rglob("*.parquet"):
        table = pq.read_table(path)
        for field, column in zip(table.schema, table.itercolumns(), strict=True):
            if pa.types.is_date(field.type) or pa.types.is_timestamp(field.type):
                dates |= {day.strftime(form) for day in pc.unique(column).to_pylist()
                          if day is not None for form in DATE_FORMATS}
    return dates


@pytest.mark.slow
def test_no_planted_identifier_or_nhs_hash_in_any_shared_zone_or_log(
        county_ready: None, county: Path, pipeline_hub: Hub) -> None:
    pii = pq.read_table(county / "truth" / "pii.parquet")
    names, others = needles(pii)
    groups, event_dates = shared_vocabulary(county)
    names -= groups | template_words()
    others = (others | dob_forms(pii)) - event_dates - recorded_event_dates(pipeline_hub)
    hashes = nhs_hashes(pii)
    assert names and others and hashes, "the county planted no identifiers to look for"
    in_notes = pii.filter(pc.is_valid(pii["start"]))
    planted_kinds = set(in_notes["kind"].to_pylist())
    assert {"ni_number", "email", "vehicle_registration"} <= planted_kinds, planted_kinds
    assert all(v in others for v in in_notes.filter(pc.is_in(
        in_notes["kind"], pa.array(["ni_number", "email", "vehicle_registration"])))[
        "value"].to_pylist()), "a planted NI number, email or registration is not searched for"
    # Whole words only; names case-sensitively ("Green" the surname, not "green" the colour).
    patterns = [re.compile(rf"(?<!\w)(?:{alternation(names)})(?!\w)"),
                re.compile(rf"(?<!\w)(?:{alternation(others)})(?!\w)", re.IGNORECASE)]
    files = scanned_files(pipeline_hub)
    assert any("pseudonymised" in p.parts for p in files), "nothing was pseudonymised"
    leaks: list[str] = []
    for path in files:
        everything, no_names = texts_of(path)
        for text, searched in [(t, patterns) for t in everything] + [
                (t, patterns[1:]) for t in no_names]:
            for pattern in searched:
                # a month in a date a note keeps ("19 June 2020") is not the name June
                haystack = WRITTEN_DATE.sub(" ", text) if pattern is patterns[0] else text
                hit = pattern.search(haystack)
                if hit is not None:
                    context = haystack[max(0, hit.start() - 40):hit.end() + 40]
                    leaks.append(f"{path}: {hit.group(0)!r} in …{context!r}")
            leaks.extend(f"{path}: sha256 of an NHS number" for h in hashes if h in text)
    assert not leaks, "\n".join(leaks[:30])
