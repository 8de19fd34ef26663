"""Measure the errors in the generated feeds against the truth and find the configured rates."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from odahub.synth import ErrorRates, generate_county
from odahub.synth.feeds.registry import FEEDS
from odahub.synth.pools import nicknames
from tests.synth.readers import read_feed

RATES = ErrorRates(typo=0.10, nickname=0.20, surname_change=0.5, dob_transposed=0.10,
                   postcode_missing=0.08, postcode_partial=0.06, stale_address=0.3,
                   duplicate=0.05, date_format=0.06, malformed=0.02)
FEED = {feed.dataset: feed for feed in FEEDS}


@pytest.fixture(scope="module")
def noisy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("noisy")
    generate_county(out, persons=1500, seed=11, error_rates=RATES)
    return out


@pytest.fixture(scope="module")
def incidents(noisy: Path) -> pd.DataFrame:
    """Police incidents joined to the true person behind each record."""
    frame = read_feed(noisy, FEED["police_incidents"])
    records = pd.read_parquet(noisy / "truth" / "records.parquet")
    persons = pd.read_parquet(noisy / "truth" / "persons.parquet")
    joined = frame.merge(records, left_on="IncidentRef", right_on="record_id")
    return joined.merge(persons, on="person_id", suffixes=("", "_true"))


def within(measured: float, expected: float, n: int) -> bool:
    """Within five binomial standard errors (plus a little slack for small n)."""
    return abs(measured - expected) <= 5 * np.sqrt(expected * (1 - expected) / n) + 0.005


def test_postcode_missing_and_partial_rates(incidents: pd.DataFrame) -> None:
    n = len(incidents)
    missing = incidents["Postcode"].isna().mean()
    partial = incidents["Postcode"].str.fullmatch(r"[A-Z]{1,2}\d{1,2}").fillna(False).mean()
    assert within(missing, RATES.postcode_missing, n), missing
    assert within(partial, RATES.postcode_partial, n), partial


def test_dob_transposition_rate(incidents: pd.DataFrame) -> None:
    dob = pd.to_datetime(incidents["DOB"], format="%d/%m/%Y", errors="coerce")
    true = pd.to_datetime(incidents["date_of_birth"])
    eligible = dob.notna() & (true.dt.day <= 12) & (true.dt.day != true.dt.month)
    swapped = ((dob.dt.day == true.dt.month) & (dob.dt.month == true.dt.day))[eligible]
    # Rows written in the other date format are not read here, so they do not count.
    assert within(swapped.mean(), RATES.dob_transposed, int(eligible.sum())), swapped.mean()


def test_first_name_nickname_and_typo_rates(incidents: pd.DataFrame) -> None:
    table = nicknames()
    forename = incidents["Forename"].to_numpy()
    true = incidents["first_name"].to_numpy()
    is_nickname = np.asarray([f in table.get(t, ()) for f, t in zip(forename, true,
                                                                       strict=True)])
    has_nickname = np.asarray([t in table for t in true])
    nick_rate = is_nickname[has_nickname].mean()
    # A typo can land on a nickname afterwards: the nickname survives with 1 - typo/2.
    assert within(nick_rate, RATES.nickname * (1 - RATES.typo / 2), int(has_nickname.sum()))
    typo_rate = ((forename != true) & ~is_nickname).mean()
    assert within(typo_rate, RATES.typo / 2, len(true)), typo_rate


def test_duplicate_rate(incidents: pd.DataFrame) -> None:
    content = incidents.drop(columns=["IncidentRef", "record_id"]).columns[:13]
    repeated = incidents.duplicated(subset=list(content)).mean()
    expected = RATES.duplicate / (1 + RATES.duplicate)
    assert within(repeated, expected, len(incidents)), repeated


def test_date_format_and_malformed_rates(noisy: Path) -> None:
    feed = FEED["police_incidents"]
    path = noisy / "feeds" / feed.dataset / feed.file
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="cp1252")), delimiter=";"))
    header, body = rows[0], rows[1:]
    ragged = np.mean([len(row) != len(header) for row in body])
    # Duplicates are copied clean, so flagged rows are a share of originals only.
    share = 1 / (1 + RATES.duplicate)
    assert within(ragged, RATES.malformed * share, len(body)), ragged
    dates = pd.Series([row[2] for row in body])
    iso = dates.str.fullmatch(r"\d{4}-\d{2}-\d{2}").mean()
    assert within(iso, RATES.date_format * share, len(body)), iso


def test_stale_addresses_and_surname_changes_follow_the_log(noisy: Path) -> None:
    errors = pd.read_parquet(noisy / "truth" / "errors.parquet")
    records = pd.read_parquet(noisy / "truth" / "records.parquet")
    assert set(errors["record_id"]) <= set(records["record_id"])
    logged = errors.groupby("error").size()
    assert {"typo", "nickname", "dob_transposed", "postcode_missing", "postcode_partial",
            "stale_address", "duplicate", "date_format", "malformed"} <= set(logged.index)
    # A stale address is a real earlier address of the same household.
    stale = errors[errors["error"] == "stale_address"]
    assert (stale["clean_value"] != stale["value"]).all()


def test_zero_rates_give_clean_feeds(tmp_path: Path) -> None:
    generate_county(tmp_path, persons=300, seed=5, error_rates=ErrorRates.none())
    errors = pd.read_parquet(tmp_path / "truth" / "errors.parquet")
    assert len(errors) == 0
