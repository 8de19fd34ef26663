"""County council children's services (CIN referrals, CP plans, early help) and the district
council's housing options service (homelessness)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from odahub.synth.feeds.base import Feed, flag, fmt_dates, maybe
from odahub.synth.identifiers import or_none

DMY = "%d/%m/%Y"


def _child_id(f: pd.DataFrame) -> pd.Series:
    return "CH" + f["person_id"].str[1:]


def _cin(f: pd.DataFrame, ragged: bool) -> pd.DataFrame:
    broken = flag(f, "_malformed")
    alt = flag(f, "_alt_date")
    # Dates are real Excel dates; some typed in as text (alt) or impossible (broken).
    dob = pd.Series(pd.to_datetime(f["dob"]).dt.date.to_numpy(), dtype=object)
    typed = fmt_dates(f["dob"], DMY, None, broken)
    dob = np.where(alt | broken, typed, dob)
    return pd.DataFrame({
        "Referral ID": f["record_id"],
        "Child ID": _child_id(f),
        "Forename": f["first_name"],
        "Surname": f["surname"],
        "Date of Birth": dob,
        "Gender": f["sex"].map({"F": "Female", "M": "Male"}),
        "Postcode": f["postcode"],
        "NHS Number": maybe(f["_u"].to_numpy(), 0.4, f["nhs_number"].to_numpy()),
        "Referral Date": pd.to_datetime(f["date"]).dt.date.to_numpy(),
        "Source": f["referral_source"],
        "Outcome": f["outcome"],
    })


def _cp(f: pd.DataFrame, ragged: bool) -> pd.DataFrame:
    alt = flag(f, "_alt_date")
    end = f["end_day"].to_numpy()
    end_dates = pd.to_datetime(f["date"]) + pd.to_timedelta(end - f["day"].to_numpy(), "D")
    return pd.DataFrame({
        "plan_id": f["record_id"],
        "child_id": _child_id(f),
        "child_name": f["first_name"] + " " + f["surname"],
        "dob": fmt_dates(f["dob"], "%Y-%m-%d", alt),
        "start_date": fmt_dates(f["date"], "%Y-%m-%d", alt),
        "end_date": or_none(end >= 0, fmt_dates(end_dates, "%Y-%m-%d")),
        "category": f["category"],
    })


def _early_help(f: pd.DataFrame, ragged: bool) -> pd.DataFrame:
    alt = flag(f, "_alt_date")
    end = pd.to_datetime(f["date"]) + pd.to_timedelta(
        f["end_day"].to_numpy() - f["day"].to_numpy(), "D")
    return pd.DataFrame({
        "eh_id": f["record_id"],
        "family_id": "FAM" + f["household_id"].str[2:],
        "first_name": f["first_name"],
        "last_name": f["surname"],
        "date_of_birth": fmt_dates(f["dob"], DMY, alt),
        "address": f["address"],
        "postcode": f["postcode"],
        "start_date": fmt_dates(f["date"], DMY, alt),
        "end_date": fmt_dates(end, DMY),
        "programme": f["programme"],
        "completed": np.where(f["completed"].to_numpy(dtype=bool), "Y", "N"),
    })


def _housing(f: pd.DataFrame, ragged: bool) -> pd.DataFrame:
    alt = flag(f, "_alt_date")
    u = f["_u"].to_numpy()
    return pd.DataFrame({
        "case_ref": f["record_id"],
        "applicant_name": f["first_name"] + " " + f["surname"],
        "date_of_birth": fmt_dates(f["dob"], DMY, alt),
        "ni_number": maybe(u, 0.7, f["ni_number"].to_numpy()),
        "address_line1": f["address"],
        "postcode": f["postcode"],
        "uprn": f["uprn"],
        "phone": maybe(u, 0.8, f["phone"].to_numpy()),
        "email": maybe(u, 0.6, f["email"].to_numpy()),
        "approach_date": fmt_dates(f["date"], DMY, alt),
        "reason": f["reason"],
    })


PERSON = frozenset({"first_name", "surname", "dob", "postcode"})

FEEDS = [
    Feed(
        dataset="cin_referrals", partner="ccc", format="xlsx", file="cin_referrals.xlsx",
        record_id="Referral ID", event_type="cin_referral", id_prefix="REF",
        description="Children in need referrals to children's social care",
        sources=("cin_referral",), fields=PERSON, build=_cin,
        options={"sheet": "Referrals", "header_row": 4},
        layout={"title": ["Children's Social Care — Referrals extract",
                          "OFFICIAL-SENSITIVE: for partnership use under the Tier 2 ISA"],
                "groups": [("Child", 0, 7), ("Referral", 8, 10)]},
        columns={
            "Referral ID": {"type": "string"}, "Child ID": {"role": "other_id"},
            "Forename": {"role": "first_name"}, "Surname": {"role": "last_name"},
            "Date of Birth": {"role": "date_of_birth", "format": DMY},
            "Gender": {"role": "sex"}, "Postcode": {"role": "postcode"},
            "NHS Number": {"role": "nhs_number"}, "Referral Date": {"role": "event_date"},
            "Source": {"attribute": "referral_source"}, "Outcome": {"attribute": "outcome"},
        }),
    Feed(
        dataset="cp_plans", partner="ccc", format="csv", file="cp_plans.tsv",
        record_id="plan_id", event_type="cp_plan", id_prefix="CPP",
        description="Child protection plans", sources=("cp_plan",),
        fields=frozenset({"first_name", "surname"}), build=_cp,
        options={"delimiter": "\t", "encoding": "utf-8-sig"},
        columns={
            "plan_id": {"type": "string"}, "child_id": {"role": "other_id"},
            "child_name": {"role": "full_name"},
            "dob": {"role": "date_of_birth", "format": "%Y-%m-%d"},
            "start_date": {"role": "event_date", "format": "%Y-%m-%d"},
            "end_date": {"attribute": "end_date", "format": "%Y-%m-%d"},
            "category": {"attribute": "category"},
        }),
    Feed(
        dataset="early_help", partner="ccc", format="csv", file="early_help_families.csv",
        record_id="eh_id", event_type="early_help", id_prefix="EH",
        description="Families (every member) working with the early-help programme",
        sources=("early_help",), fields=frozenset(PERSON | {"address"}), build=_early_help,
        options={"delimiter": ",", "encoding": "utf-8"},
        columns={
            "eh_id": {"type": "string"}, "family_id": {"role": "household_ref"},
            "first_name": {"role": "first_name"}, "last_name": {"role": "last_name"},
            "date_of_birth": {"role": "date_of_birth", "format": DMY},
            "address": {"role": "address"}, "postcode": {"role": "postcode"},
            "start_date": {"role": "event_date", "format": DMY},
            "end_date": {"attribute": "end_date", "format": DMY},
            "programme": {"attribute": "programme"}, "completed": {"type": "boolean"},
        }),
    Feed(
        dataset="housing_homelessness", partner="dc_housing", format="csv",
        file="homelessness_approaches.txt", record_id="case_ref", event_type="homelessness",
        id_prefix="HOM", description="Homelessness approaches to the housing options service "
        "(delimiter and encoding not declared: detected)", sources=("homelessness",),
        fields=frozenset(PERSON | {"address"}), build=_housing,
        layout={"delimiter": "|", "encoding": "cp1252"},
        columns={
            "case_ref": {"type": "string"}, "applicant_name": {"role": "full_name"},
            "date_of_birth": {"role": "date_of_birth", "format": DMY},
            "ni_number": {"role": "ni_number"}, "address_line1": {"role": "address"},
            "postcode": {"role": "postcode"}, "uprn": {"role": "uprn"},
            "phone": {"role": "phone"}, "email": {"role": "email"},
            "approach_date": {"role": "event_date", "format": DMY},
            "reason": {"attribute": "reason"},
        }),
]
