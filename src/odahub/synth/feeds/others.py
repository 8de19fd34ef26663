"""Fire and rescue incidents (CSV) and probation cases (JSON array)."""

from __future__ import annotations

import pandas as pd

from odahub.synth.feeds.base import Feed, flag, fmt_dates, maybe


def _fire(f: pd.DataFrame, ragged: bool) -> pd.DataFrame:
    alt = flag(f, "_alt_date")
    minutes = (f["_u"].to_numpy() * 1440).astype(int)
    called = pd.to_datetime(f["date"]) + pd.to_timedelta(minutes, "m")
    return pd.DataFrame({
        "incident_number": f["record_id"],
        "call_datetime": fmt_dates(called, "%d/%m/%Y %H:%M", alt),
        "uprn": f["uprn"],
        "address": f["address"],
        "postcode": f["postcode"],
        "occupier_name": maybe(f["_u"].to_numpy(), 0.6,
                               (f["first_name"] + " " + f["surname"]).to_numpy()),
        "incident_type": f["incident_type"],
    })


def _probation(f: pd.DataFrame, ragged: bool) -> pd.DataFrame:
    alt, broken = flag(f, "_alt_date"), flag(f, "_malformed")
    return pd.DataFrame({
        "case_id": f["record_id"],
        "crn": "X" + f["person_id"].str[2:],
        "ni_number": f["ni_number"],
        "surname": f["surname"],
        "forename": f["first_name"],
        "dob": fmt_dates(f["dob"], "%Y-%m-%d", alt, broken),
        "order_type": f["order_type"],
        "sentence_date": fmt_dates(f["date"], "%Y-%m-%d", alt),
        "postcode": f["postcode"],
    })


FEEDS = [
    Feed(
        dataset="fire_incidents", partner="fire", format="csv", file="fire_incidents.csv",
        record_id="incident_number", event_type="fire_incident", id_prefix="FRS",
        description="Incidents attended by the fire and rescue service (encoding and "
        "delimiter not declared)", sources=("fire_incident",),
        fields=frozenset({"first_name", "surname", "postcode", "address"}), build=_fire,
        layout={"delimiter": ",", "encoding": "utf-8-sig"},
        columns={
            "incident_number": {"type": "string"},
            "call_datetime": {"role": "event_date", "format": "%d/%m/%Y %H:%M"},
            "uprn": {"role": "uprn"}, "address": {"role": "address"},
            "postcode": {"role": "postcode"}, "occupier_name": {"role": "full_name"},
            "incident_type": {"attribute": "incident_type"},
        }),
    Feed(
        dataset="probation_cases", partner="probation", format="json",
        file="probation_cases.json", record_id="case_id", event_type="probation",
        id_prefix="PRB", description="Offenders starting community orders or licences",
        sources=("probation",), fields=frozenset({"first_name", "surname", "dob", "postcode"}),
        build=_probation,
        columns={
            "case_id": {"type": "string"}, "crn": {"role": "other_id"},
            "ni_number": {"role": "ni_number"}, "surname": {"role": "last_name"},
            "forename": {"role": "first_name"},
            "dob": {"role": "date_of_birth", "format": "%Y-%m-%d"},
            "order_type": {"attribute": "order_type"},
            "sentence_date": {"role": "event_date", "format": "%Y-%m-%d"},
            "postcode": {"role": "postcode"},
        }),
]
