"""Schools' feeds (the LA's education data team): attendance (Parquet), exclusions (CSV) and
the reception-year early-years assessment (XLSX)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from odahub.synth.feeds.base import Feed, flag, fmt_dates

DMY = "%d/%m/%Y"


def _attendance(f: pd.DataFrame, ragged: bool) -> pd.DataFrame:
    return pd.DataFrame({
        "attendance_id": f["record_id"],
        "upn": f["upn"],
        "legal_forename": f["first_name"],
        "legal_surname": f["surname"],
        "date_of_birth": pd.to_datetime(f["dob"]).dt.date,
        "gender": f["sex"],
        "postcode": f["postcode"],
        "term": f["term"],
        "term_start": pd.to_datetime(f["date"]).dt.date,
        "attendance_pct": f["attendance_pct"].astype(float),
    })


def _exclusions(f: pd.DataFrame, ragged: bool) -> pd.DataFrame:
    alt = flag(f, "_alt_date")
    return pd.DataFrame({
        "exclusion_id": f["record_id"],
        "upn": f["upn"],
        "forename": f["first_name"],
        "surname": f["surname"],
        "dob": fmt_dates(f["dob"], "%Y-%m-%d", alt),
        "start_date": fmt_dates(f["date"], "%Y-%m-%d", alt),
        "category": f["exclusion_type"],
        "days": f["days"].astype(float),
    })


def _early_years(f: pd.DataFrame, ragged: bool) -> pd.DataFrame:
    alt, broken = flag(f, "_alt_date"), flag(f, "_malformed")
    return pd.DataFrame({
        "Pupil UPN": f["upn"],
        "Assessment ID": f["record_id"],
        "Forename": f["first_name"],
        "Surname": f["surname"],
        "DOB": fmt_dates(f["dob"], DMY, alt, broken),
        "Gender": f["sex"],
        "Postcode": f["postcode"],
        "Assessment Date": fmt_dates(f["date"], DMY, alt),
        "GLD": np.where(f["school_ready"].to_numpy(dtype=bool), "Y", "N"),
        "Summary": f["assessment"],
    })


NAMES = frozenset({"first_name", "surname", "dob", "postcode"})

FEEDS = [
    Feed(
        dataset="school_attendance", partner="schools", format="parquet",
        file="attendance_by_term.parquet", record_id="attendance_id",
        event_type="school_attendance", id_prefix="ATT", dated=False,
        description="Pupil attendance per term from the schools' MIS returns",
        sources=("school_attendance",), fields=frozenset({"first_name", "surname", "postcode"}),
        build=_attendance,
        columns={
            "attendance_id": {"type": "string"}, "upn": {"role": "other_id"},
            "legal_forename": {"role": "first_name"}, "legal_surname": {"role": "last_name"},
            "date_of_birth": {"role": "date_of_birth"}, "gender": {"role": "sex"},
            "postcode": {"role": "postcode"}, "term": {"attribute": "term"},
            "term_start": {"role": "event_date"},
            "attendance_pct": {"attribute": "attendance_pct"},
        }),
    Feed(
        dataset="school_exclusions", partner="schools", format="csv", file="exclusions.csv",
        record_id="exclusion_id", event_type="exclusion", id_prefix="EXC",
        description="Suspensions and permanent exclusions", sources=("exclusion",),
        fields=NAMES, build=_exclusions, options={"delimiter": ","},
        columns={
            "exclusion_id": {"type": "string"}, "upn": {"role": "other_id"},
            "forename": {"role": "first_name"}, "surname": {"role": "last_name"},
            "dob": {"role": "date_of_birth", "format": "%Y-%m-%d"},
            "start_date": {"role": "event_date", "format": "%Y-%m-%d"},
            "category": {"attribute": "exclusion_type"}, "days": {"attribute": "days"},
        }),
    Feed(
        dataset="early_years", partner="schools", format="xlsx", file="eyfsp_results.xlsx",
        record_id="Assessment ID", event_type="early_years", id_prefix="EYF",
        description="Early years foundation stage profile at the end of reception "
        "(sheet and header row not declared: detected)", sources=("early_years",),
        fields=NAMES, build=_early_years, layout={"sheet": "EYFSP", "header_row": 1},
        columns={
            "Pupil UPN": {"role": "other_id"}, "Assessment ID": {"type": "string"},
            "Forename": {"role": "first_name"}, "Surname": {"role": "last_name"},
            "DOB": {"role": "date_of_birth", "format": DMY}, "Gender": {"role": "sex"},
            "Postcode": {"role": "postcode"},
            "Assessment Date": {"role": "event_date", "format": DMY},
            "GLD": {"attribute": "school_ready"}, "Summary": {"attribute": "assessment"},
        }),
]
