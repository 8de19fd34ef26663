"""The police force's feeds: incidents (CSV), domestic abuse (XML), missing episodes (JSON)."""

from __future__ import annotations

import pandas as pd

from odahub.synth.feeds.base import Feed, flag, fmt_dates, maybe

DMY = "%d/%m/%Y"


def _incidents(f: pd.DataFrame, ragged: bool) -> pd.DataFrame:
    alt, broken = flag(f, "_alt_date"), flag(f, "_malformed") & (not ragged)
    u = f["_u"].to_numpy()
    return pd.DataFrame({
        "IncidentRef": f["record_id"],
        "IncidentType": f["event_type"],
        "OffenceDate": fmt_dates(f["date"], DMY, alt),
        "Forename": f["first_name"],
        "Surname": f["surname"],
        "DOB": fmt_dates(f["dob"], DMY, alt, broken),
        "Sex": f["sex"],
        "Address": f["address"],
        "Postcode": f["postcode"],
        "ContactNo": maybe(u, 0.4, f["phone"].to_numpy()),
        "OffenceGroup": f["offence_group"],
        "Outcome": f["outcome"],
        "AsbCategory": f["category"],
    })


def _domestic_abuse(f: pd.DataFrame, ragged: bool) -> pd.DataFrame:
    alt, broken = flag(f, "_alt_date"), flag(f, "_malformed")
    return pd.DataFrame({
        "PersonRecordId": f["record_id"],
        "OccurrenceNo": "OCC" + f["incident"].astype("int64").astype(str).str.zfill(7)
        + f["household_id"].str[2:5],
        "IncidentDate": fmt_dates(f["date"], "%Y-%m-%d", alt),
        "Role": f["role_in_incident"],
        "DashRisk": f["dash_risk"],
        "Forename": f["first_name"],
        "Surname": f["surname"],
        "DateOfBirth": fmt_dates(f["dob"], "%Y-%m-%d", alt, broken),
        "Gender": f["sex"],
        "Address": f["address"],
        "Postcode": f["postcode"],
    })


def _missing(f: pd.DataFrame, ragged: bool) -> pd.DataFrame:
    alt, broken = flag(f, "_alt_date"), flag(f, "_malformed")
    return pd.DataFrame({
        "ref": f["record_id"],
        "reported": fmt_dates(f["date"], "%Y-%m-%d", alt),
        "person.forename": f["first_name"],
        "person.surname": f["surname"],
        "person.dob": fmt_dates(f["dob"], DMY, alt, broken),
        "person.sex": f["sex"],
        "home.postcode": f["postcode"],
        "found.oa": f["found_oa_code"],
        "found.location": f["found_location"],
        "found.hour": f["found_hour"].astype("int64"),
        "duration_hours": f["duration_hours"].astype(float),
    })


NAMES = {"first_name", "surname", "dob", "postcode", "address"}

FEEDS = [
    Feed(
        dataset="police_incidents", partner="police", format="csv", file="incidents.csv",
        record_id="IncidentRef", event_type="crime", id_prefix="INC",
        description="Crimes and anti-social behaviour incidents recorded by the force",
        sources=("crime", "asb"), fields=frozenset(NAMES), build=_incidents,
        options={"delimiter": ";", "encoding": "cp1252"},
        columns={
            "IncidentRef": {"type": "string"},
            "IncidentType": {"role": "event_type"},
            "OffenceDate": {"role": "event_date", "format": DMY},
            "Forename": {"role": "first_name"}, "Surname": {"role": "last_name"},
            "DOB": {"role": "date_of_birth", "format": DMY}, "Sex": {"role": "sex"},
            "Address": {"role": "address"}, "Postcode": {"role": "postcode"},
            "ContactNo": {"role": "phone"}, "OffenceGroup": {"attribute": "offence_group"},
            "Outcome": {"attribute": "outcome"}, "AsbCategory": {"attribute": "category"},
        }),
    Feed(
        dataset="police_domestic_abuse", partner="police", format="xml",
        file="domestic_abuse.xml", record_id="PersonRecordId", event_type="domestic_abuse",
        id_prefix="DAP", description="Domestic abuse incidents with DASH risk grades, one "
        "record per person involved", sources=("domestic_abuse",), fields=frozenset(NAMES),
        build=_domestic_abuse, options={"record_path": "Incident"},
        layout={"root": "DomesticAbuseExtract"},
        columns={
            "PersonRecordId": {"type": "string"},
            "OccurrenceNo": {"type": "string"},
            "IncidentDate": {"role": "event_date", "format": "%Y-%m-%d"},
            "Role": {"attribute": "role_in_incident"}, "DashRisk": {"attribute": "dash_risk"},
            "Forename": {"role": "first_name"}, "Surname": {"role": "last_name"},
            "DateOfBirth": {"role": "date_of_birth", "format": "%Y-%m-%d"},
            "Gender": {"role": "sex"}, "Address": {"role": "address"},
            "Postcode": {"role": "postcode"},
        }),
    Feed(
        dataset="police_missing", partner="police", format="json", file="missing_episodes.json",
        record_id="ref", event_type="missing_episode", id_prefix="MIS",
        description="Missing person episodes of children, with where and when they were found",
        sources=("missing_episode",), fields=frozenset({"first_name", "surname", "dob",
                                                        "postcode"}),
        build=_missing, options={"record_path": "data.records"},
        columns={
            "ref": {"type": "string"},
            "reported": {"role": "event_date", "format": "%Y-%m-%d"},
            "person.forename": {"role": "first_name"}, "person.surname": {"role": "last_name"},
            "person.dob": {"role": "date_of_birth", "format": DMY},
            "person.sex": {"role": "sex"}, "home.postcode": {"role": "postcode"},
            "found.oa": {"attribute": "found_oa"},
            "found.location": {"attribute": "found_location"},
            "found.hour": {"attribute": "found_hour"},
            "duration_hours": {"attribute": "duration_hours"},
        }),
]
