"""A tiny hand-written hub for web tests: a few people across three partners' datasets, links,
households, one risk list and two output areas — enough to exercise every page quickly."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pyarrow as pa

from odahub.catalog.tables.core import Dataset, Partner
from odahub.governance import demo
from odahub.hub import Hub
from odahub.ingest.feeds import add_feed
from odahub.ingest.spec import parse_spec
from tests.conftest import make_hub

# person_id, first, last, dob, sex, postcode, nhs, household, oa
A, B = "E00000001", "E00000002"
PEOPLE = [
    ("P-000001", "JOHN", "SMITH", date(1980, 3, 4), "M", "CO1 1AA", "9434765919", "H-001", A),
    ("P-000002", "MARY", "SMITH", date(1982, 7, 9), "F", "CO1 1AA", "9434765870", "H-001", A),
    ("P-000003", "LILY", "SMITH", date(2019, 1, 2), "F", "CO1 1AA", None, "H-001", A),
    ("P-000004", "AHMED", "KHAN", date(1975, 11, 30), "M", "CO2 2BB", "4010232137", "H-002", B),
    ("P-000005", "SARAH", "JONES", date(1990, 5, 17), "F", "CO2 2BB", None, "H-003", B),
]
DATASETS = {"police_records": ("police", "crime"),
            "county_council_records": ("county_council", "cin_referral"),
            "nhs_trust_records": ("nhs_trust", "ae_attendance")}
OAS = {"E00000001": (0.0, 0.0), "E00000002": (0.01, 0.0)}


def records() -> list[dict[str, object]]:
    """Each person appears in each dataset, twice in the police data (with different dates)."""
    rows = []
    for n, (pid, first, last, dob, sex, pc, nhs, hh, oa) in enumerate(PEOPLE):
        for d_index, dataset in enumerate(DATASETS):
            for repeat in range(2 if dataset == "police_records" else 1):
                rows.append({"dataset": dataset, "record_id": f"{dataset[:3]}-{n}-{repeat}",
                             "person_id": pid, "household_id": hh, "first_name": first,
                             "last_name": last, "date_of_birth": dob, "sex": sex, "postcode": pc,
                             "nhs_number": nhs, "oa_code": oa,
                             "event_date": date(2023, 1 + d_index * 3 + repeat, 10 + n),
                             "event_type": DATASETS[dataset][1]})
    return rows


def write(hub: Hub, zone: str, name: str, table: pa.Table) -> None:
    with hub.lake.new_version(zone, name) as writer:
        writer.write_table(table)


def square(lon: float, lat: float) -> str:
    ring = [[lon, lat], [lon + 0.01, lat], [lon + 0.01, lat + 0.01], [lon, lat + 0.01], [lon, lat]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


UPLOAD_SPEC = """
dataset: police_uploads
partner: police
format: csv
record_id: incident_ref
event_type: crime
description: "Incidents uploaded through the web app"
columns:
  incident_ref: {type: string}
  forename: {role: first_name}
  surname: {role: last_name}
  dob: {role: date_of_birth, format: "%d/%m/%Y"}
  postcode: {role: postcode}
  offence_date: {role: event_date, format: "%Y-%m-%d"}
"""
UPLOAD_CSV = (b"incident_ref,forename,surname,dob,postcode,offence_date\n"
              b"I1,John,Smith,04/03/1980,co1 1aa,2024-01-02\n"
              b"I2,Mary,Smith,99/99/1982,CO1 1AA,2024-02-03\n")


def populate(hub: Hub) -> None:
    demo.load(hub.catalog, None)
    add_feed(hub, parse_spec(UPLOAD_SPEC))
    with hub.catalog.session() as session:
        for name, (partner, event) in DATASETS.items():
            partner_id = session.query(Partner.id).filter(Partner.code == partner).scalar()
            session.add(Dataset(name=name, partner_id=partner_id, format="csv",
                                spec={"dataset": name, "partner": partner, "event_type": event},
                                description=f"Demo {event} records", retention_days=2555))
    rows = records()
    for name in DATASETS:
        mine = [r for r in rows if r["dataset"] == name]
        identified = pa.Table.from_pylist([{k: r[k] for k in (
            "dataset", "record_id", "first_name", "last_name", "date_of_birth", "sex", "postcode",
            "nhs_number", "event_date", "event_type")} for r in mine])
        write(hub, "identified", name, identified)
        pseudonymised = pa.Table.from_pylist([{
            "dataset": r["dataset"], "record_id": r["record_id"],
            "last_name": "tok" + str(r["last_name"]),
            "birth_year": r["date_of_birth"].year, "sex": r["sex"], "oa_code": r["oa_code"],  # type: ignore[union-attr]
            "event_date": r["event_date"], "event_type": r["event_type"]} for r in mine])
        write(hub, "pseudonymised", name, pseudonymised)
    write(hub, "linked", "links", pa.Table.from_pylist([
        {"dataset": r["dataset"], "record_id": r["record_id"], "person_id": r["person_id"],
         "household_id": r["household_id"], "match_probability": 0.99} for r in rows]))
    write(hub, "linked", "households", pa.Table.from_pylist([
        {"household_id": p[7], "person_id": p[0], "valid_from": date(2015, 1, 1),
         "valid_to": None, "uprn_token": "t" + p[7]} for p in PEOPLE]))
    write(hub, "marts", "risk_da_escalation", pa.Table.from_pylist([
        {"household_id": hh, "score": score, "tier": tier, "rank": rank, "model_version": 1,
         "factors": json.dumps([{"factor": "domestic abuse incidents in 12 months",
                                 "contribution": 0.4, "value": 2}])}
        for rank, (hh, score, tier) in enumerate(
            [("H-001", 0.82, "high"), ("H-002", 0.41, "medium"), ("H-003", 0.12, "low")], 1)]))
    write(hub, "marts", "household_features", pa.Table.from_pylist([
        {"household_id": hh, "oa_code": oa, "as_of": date(2024, 1, 1)}
        for hh, oa in {(p[7], p[8]) for p in PEOPLE}]))
    write(hub, "reference", "output_areas", pa.Table.from_pylist([
        {"oa_code": oa, "lsoa_code": "E01000001", "ward_code": "E05000001", "imd_decile": 3,
         "geometry": square(*xy)} for oa, xy in OAS.items()]))
    write(hub, "reference", "postcodes", pa.Table.from_pylist([
        {"postcode": "CO1 1AA", "oa_code": A}, {"postcode": "CO2 2BB", "oa_code": B}]))


def small_hub(home: Path, database_url: str | None = None) -> Hub:
    hub = make_hub(home, database_url)
    populate(hub)
    return hub
