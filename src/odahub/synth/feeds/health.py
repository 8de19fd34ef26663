"""NHS feeds: A&E attendances (NDJSON, trust), substance misuse treatment (XML, commissioned by
the ICB) and the GP registration population spine (Parquet, ICB)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from odahub.synth.feeds.base import Feed, flag, fmt_dates

DMY = "%d/%m/%Y"


def _ae(f: pd.DataFrame, ragged: bool) -> pd.DataFrame:
    alt, broken = flag(f, "_alt_date"), flag(f, "_malformed")
    minutes = (f["_u"].to_numpy() * 1440).astype(int)
    arrival = pd.to_datetime(f["date"]) + pd.to_timedelta(minutes, "m")
    return pd.DataFrame({
        "attendance_id": f["record_id"],
        "arrival": np.asarray(arrival.dt.strftime("%Y-%m-%dT%H:%M:00"), dtype=object),
        "patient.nhs_number": f["nhs_number"],
        "patient.forename": f["first_name"],
        "patient.surname": f["surname"],
        "patient.dob": fmt_dates(f["dob"], "%Y-%m-%d", alt, broken),
        "patient.sex": f["sex"],
        "patient.postcode": f["postcode"],
        "complaint": f["complaint"],
        "alcohol_related": f["alcohol_related"].astype(bool),
    })


def _substance(f: pd.DataFrame, ragged: bool) -> pd.DataFrame:
    alt, broken = flag(f, "_alt_date"), flag(f, "_malformed")
    return pd.DataFrame({
        "ClientID": f["record_id"],
        "NHSNumber": f["nhs_number"],
        "Forename": f["first_name"],
        "Surname": f["surname"],
        "DOB": fmt_dates(f["dob"], DMY, alt, broken),
        "Sex": f["sex"],
        "Postcode": f["postcode"],
        "ReferralDate": fmt_dates(f["date"], DMY, alt),
        "Substance": f["substance"],
        "Outcome": f["treatment_outcome"],
    })


def _spine(f: pd.DataFrame, ragged: bool) -> pd.DataFrame:
    registered = pd.Series(np.maximum(pd.to_datetime(f["dob"]).to_numpy(),
                                      np.datetime64("2019-01-01", "ns")))
    offset = pd.to_timedelta((f["_u"].to_numpy() * 300).astype(int), "D")
    return pd.DataFrame({
        "nhs_number": f["nhs_number"],
        "forename": f["first_name"],
        "surname": f["surname"],
        "date_of_birth": pd.to_datetime(f["dob"]).dt.date,
        "sex": f["sex"],
        "address": f["address"],
        "postcode": f["postcode"],
        "registration_date": (registered + offset).dt.date,
        "practice_code": "F8" + (f["household"].to_numpy() % 37 + 1001).astype(str),
        "ethnic_group": f["ethnicity"],
        "record_id": f["record_id"],
    })


FEEDS = [
    Feed(
        dataset="ae_attendances", partner="nhs_trust", format="ndjson",
        file="ae_attendances.ndjson", record_id="attendance_id", event_type="ae_attendance",
        id_prefix="AE", description="Emergency department attendances (ECDS-like extract)",
        sources=("ae_attendance",), fields=frozenset({"first_name", "surname", "dob",
                                                     "postcode"}), build=_ae,
        columns={
            "attendance_id": {"type": "string"},
            "arrival": {"role": "event_date", "format": "%Y-%m-%dT%H:%M:%S"},
            "patient.nhs_number": {"role": "nhs_number"},
            "patient.forename": {"role": "first_name"},
            "patient.surname": {"role": "last_name"},
            "patient.dob": {"role": "date_of_birth", "format": "%Y-%m-%d"},
            "patient.sex": {"role": "sex"}, "patient.postcode": {"role": "postcode"},
            "complaint": {"attribute": "complaint"},
            "alcohol_related": {"attribute": "alcohol_related"},
        }),
    Feed(
        dataset="substance_misuse", partner="nhs_icb", format="xml",
        file="treatment_episodes.xml", record_id="ClientID", event_type="substance_misuse",
        id_prefix="SMT", description="Drug and alcohol treatment episodes (commissioned service)",
        sources=("substance_misuse",), fields=frozenset({"first_name", "surname", "dob",
                                                        "postcode"}),
        build=_substance, options={"record_path": "Episode"},
        layout={"root": "TreatmentEpisodes"},
        columns={
            "ClientID": {"type": "string"}, "NHSNumber": {"role": "nhs_number"},
            "Forename": {"role": "first_name"}, "Surname": {"role": "last_name"},
            "DOB": {"role": "date_of_birth", "format": DMY}, "Sex": {"role": "sex"},
            "Postcode": {"role": "postcode"},
            "ReferralDate": {"role": "event_date", "format": DMY},
            "Substance": {"attribute": "substance"},
            "Outcome": {"attribute": "treatment_outcome"},
        }),
    Feed(
        dataset="gp_registrations", partner="nhs_icb", format="parquet",
        file="gp_registrations.parquet", record_id="record_id", event_type=None,
        id_prefix="GP", description="GP registrations: the population spine (everyone "
        "registered with a practice, known to services or not)", sources=(),
        fields=frozenset({"first_name", "surname", "postcode", "address"}), build=_spine,
        dated=False, retention_days=3650,
        columns={
            "nhs_number": {"role": "nhs_number"}, "forename": {"role": "first_name"},
            "surname": {"role": "last_name"}, "date_of_birth": {"role": "date_of_birth"},
            "sex": {"role": "sex"}, "address": {"role": "address"},
            "postcode": {"role": "postcode"}, "registration_date": {"type": "date"},
            "practice_code": {"type": "string"}, "ethnic_group": {"role": "ethnicity"},
            "record_id": {"type": "string"},
        }),
]
