"""A small lake laid out exactly as docs/developer/contracts.md says the stages leave it."""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa
from sqlalchemy import select

from odahub.catalog.base import utcnow
from odahub.catalog.tables.core import Dataset, Partner
from odahub.hub import Hub
from odahub.lake import sealed

OLD = utcnow().date() - timedelta(days=3 * 365)
NEW = utcnow().date() - timedelta(days=30)

# record_id, person, first, last, dob, nhs, postcode, event_date, source_file, row, note
POLICE = [
    ("R1", "P-1", "ALICE", "ZEBEDEE", date(1990, 1, 2), "9434765919", "AB1 1AA", OLD,
     "crime_2020.csv", 1, "ALICE ZEBEDEE reported a burglary"),
    ("R2", "P-2", "BORIS", "QUENTINSON", date(1985, 3, 4), "9434765870", "AB2 2BB", OLD,
     "crime_2020.csv", 2, "BORIS QUENTINSON was arrested"),
    ("R3", "P-3", "CAROL", "XAVIER", date(1970, 5, 6), "9434765862", "AB3 3CC", NEW,
     "crime_2024.csv", 1, "CAROL XAVIER was a witness"),
    ("R4", "P-3", "CAROL", "XAVIER", date(1970, 5, 6), "9434765862", "AB3 3CC", NEW,
     "crime_2024.csv", 2, "repeat call"),
]
COUNCIL = [
    ("C1", "P-1", "ALICE", "ZEBEDEE", date(1990, 1, 2), "9434765919", "AB9 9ZZ", NEW,
     "cin.csv", 1, "ALICE ZEBEDEE referred"),
    ("C2", "P-4", "DEREK", "YOUNGBLOOD", date(2010, 7, 8), "9434765838", "AB4 4DD", NEW,
     "cin.csv", 2, "DEREK YOUNGBLOOD at school"),
]
IDENTIFIER_FIELDS = ("first", "last", "dob", "nhs", "postcode")


def token(value: object) -> str:
    return hashlib.sha256(f"linkage:{value}".encode()).hexdigest()


def identified(rows: list[tuple[object, ...]], dataset: str) -> pa.Table:
    return pa.table({
        "dataset": [dataset] * len(rows), "record_id": [r[0] for r in rows],
        "source_file": [r[8] for r in rows], "source_row": [r[9] for r in rows],
        "first_name": [r[2] for r in rows], "last_name": [r[3] for r in rows],
        "date_of_birth": [r[4] for r in rows], "nhs_number": [r[5] for r in rows],
        "postcode": [r[6] for r in rows], "event_date": [r[7] for r in rows],
        "free_text": [r[10] for r in rows], "_flags": [[] for _ in rows]})


def pseudonymised(rows: list[tuple[object, ...]], dataset: str) -> pa.Table:
    table = identified(rows, dataset)
    for column in ("first_name", "last_name", "date_of_birth", "nhs_number", "postcode"):
        table = table.set_column(table.schema.get_field_index(column), column,
                                 pa.array([token(v) for v in table[column].to_pylist()]))
    redacted = pa.array(["<PERSON> " + str(n).split()[-1] for n in table["free_text"].to_pylist()])
    return table.set_column(table.schema.get_field_index("free_text"), "free_text", redacted) \
        .append_column("birth_year", pa.array([r[4].year for r in rows]))  # type: ignore[attr-defined]


def write(hub: Hub, zone: str, name: str, table: pa.Table, dataset_id: int | None = None) -> None:
    with hub.lake.new_version(zone, name, dataset_id=dataset_id) as writer:
        writer.write_table(table)


def landing(hub: Hub, name: str, files: dict[str, list[tuple[object, ...]]]) -> None:
    with hub.lake.new_version("landing", name) as writer:
        for filename, rows in files.items():
            lines = ["ref,forename,surname,dob,nhs,postcode,date,notes"] + [
                ",".join(str(v) for v in (r[0], r[2], r[3], r[4], r[5], r[6], r[7], r[10]))
                for r in rows]
            (writer.folder / filename).write_text("\n".join(lines) + "\n")
            writer.files.append(filename)


def build(hub: Hub) -> None:
    with hub.catalog.session() as session:
        ids = dict(session.execute(select(Partner.code, Partner.id)).tuples().all())
        session.add(Dataset(name="police_crime", partner_id=ids["police"], format="csv",
                            spec={}, retention_days=365))
        session.add(Dataset(name="council_cin", partner_id=ids["council"], format="csv",
                            spec={}))
    landing(hub, "police_crime", {"crime_2020.csv": POLICE[:2], "crime_2024.csv": POLICE[2:]})
    landing(hub, "council_cin", {"cin.csv": COUNCIL})
    write(hub, "identified", "police_crime", identified(POLICE[:3], "police_crime"))  # v1
    write(hub, "identified", "police_crime", identified(POLICE, "police_crime"))      # v2
    write(hub, "identified", "council_cin", identified(COUNCIL, "council_cin"))
    write(hub, "pseudonymised", "police_crime", pseudonymised(POLICE, "police_crime"))
    write(hub, "pseudonymised", "council_cin", pseudonymised(COUNCIL, "council_cin"))
    write(hub, "quarantine", "police_crime", pa.table({
        "dataset": ["police_crime"] * 2, "source_file": ["crime_2020.csv", "crime_2024.csv"],
        "source_row": [2, 2], "column": ["dob", "dob"], "reason": ["bad date"] * 2,
        "raw": ["BORIS,QUENTINSON,85-03-04", "CAROL,XAVIER,1970-05-06"]}))
    everyone = POLICE + COUNCIL
    write(hub, "linked", "links", pa.table({
        "dataset": ["police_crime"] * 4 + ["council_cin"] * 2,
        "record_id": [r[0] for r in everyone], "person_id": [r[1] for r in everyone],
        "household_id": ["H-1", "H-2", "H-3", "H-3", "H-1", "H-4"],
        "match_probability": [1.0] * 6}))
    # Scored pairs name records as `dataset:record_id` (the link stage's unique_id).
    write(hub, "linked", "pairs", pa.table({
        "unique_id_l": ["council_cin:C1", "police_crime:R3"],
        "unique_id_r": ["police_crime:R1", "police_crime:R4"],
        "match_weight": [20.0, 25.0], "match_probability": [0.99, 0.99]}))
    persons = sorted({str(r[1]) for r in everyone})
    write(hub, "linked", "households", pa.table({
        "household_id": ["H-1", "H-2", "H-3", "H-4"], "person_id": persons,
        "valid_from": [OLD] * 4, "valid_to": [None] * 4, "uprn_token": ["u"] * 4}))
    write(hub, "marts", "person_features", pa.table({
        "person_id": persons, "as_of": [NEW] * 4, "events": [2, 1, 2, 1]}))


def every_text(hub: Hub) -> str:
    """Every file of every zone as text (sealed files decrypted), plus the whole catalog."""
    chunks: list[str] = []
    assert hub.keys is not None
    for path in sorted(Path(hub.settings.lake).rglob("*")):
        if not path.is_file():
            continue
        if path.suffix == ".parquet":
            rows = sealed.read(path, hub.keys.key_by_id).to_pylist()
            chunks.append(json.dumps(rows, default=str))
        else:
            chunks.append(path.read_bytes().decode("utf-8", "replace"))
    with hub.catalog.engine.connect() as connection:
        from odahub.catalog.base import Base

        for table in Base.metadata.sorted_tables:
            rows = connection.execute(table.select()).fetchall()
            chunks.append(json.dumps([list(r) for r in rows], default=str))
    return "\n".join(chunks)


def traces(row: tuple[object, ...]) -> list[str]:
    """The identifiers of a record, their tokens, and its record id."""
    values = [row[2], row[3], row[4], row[5], row[6]]
    return [str(v) for v in values] + [token(v) for v in values]
