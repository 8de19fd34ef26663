"""The county's layout, specs and truth, on the session's county (1,500 persons, seed 7)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from odahub.model import load_model
from odahub.synth.feeds.documents import FEED as CASE_NOTES
from odahub.synth.feeds.registry import FEEDS
from odahub.synth.identifiers import nhs_is_valid
from tests.synth.readers import read_feed

SPEC_KEYS = {"dataset", "partner", "format", "record_id", "event_type", "description",
             "retention_days", "columns"}


def test_layout_matches_the_contract(county: Path) -> None:
    for name in ("postcodes.csv", "output_areas.geojson", "partners.yaml"):
        assert (county / "reference" / name).is_file(), name
    for name in ("records", "persons", "households", "events", "pii", "interventions",
                 "errors"):
        assert (county / "truth" / f"{name}.parquet").is_file(), name
    manifest = json.loads((county / "manifest.json").read_text())
    assert manifest["persons"] == 1500 and manifest["seed"] == 7
    listed = {f["path"] for f in manifest["files"]}
    on_disk = {p.relative_to(county).as_posix() for p in county.rglob("*")
               if p.is_file() and p.name != "manifest.json"}
    assert listed == on_disk


def test_feeds_cover_ten_datasets_six_partners_six_formats(county: Path) -> None:
    specs = [yaml.safe_load(p.read_text()) for p in sorted((county / "specs").glob("*.yaml"))]
    with_files = [s for s in specs if any((county / "feeds" / s["dataset"]).iterdir())]
    assert len(with_files) >= 10
    assert len({s["partner"] for s in with_files}) >= 6
    assert len({s["format"] for s in with_files}) >= 6
    partners = yaml.safe_load((county / "reference" / "partners.yaml").read_text())["partners"]
    assert {s["partner"] for s in specs} <= {p["code"] for p in partners}
    suffixes = {p.suffix for p in (county / "feeds" / "case_notes").iterdir()}
    assert suffixes == {".txt", ".docx", ".pdf", ".png", ".wav"}


def test_specs_have_the_contract_keys_and_valid_roles(county: Path) -> None:
    model = load_model()
    for path in sorted((county / "specs").glob("*.yaml")):
        spec = yaml.safe_load(path.read_text())
        assert SPEC_KEYS <= set(spec), path.name
        assert spec["event_type"] is None or spec["event_type"] in model.events, path.name
        for column, entry in spec["columns"].items():
            if "role" in entry:
                assert entry["role"] in model.roles, (path.name, column)
            if "attribute" in entry:
                # Rows may carry their own event type (police_incidents: crime or asb).
                assert model.attribute_type(entry["attribute"]) is not None, (path.name, column)
        assert spec["record_id"] in spec["columns"], path.name


@pytest.mark.parametrize("feed", FEEDS, ids=lambda f: f.dataset)
def test_spec_columns_exist_and_every_record_is_in_the_truth(county: Path, feed: object,
                                                             truth_records: pd.DataFrame) -> None:
    frame = read_feed(county, feed)  # type: ignore[arg-type]
    spec = yaml.safe_load((county / "specs" / f"{feed.dataset}.yaml").read_text())  # type: ignore[attr-defined]
    assert set(spec["columns"]) == set(frame.columns), (set(spec["columns"]) ^ set(frame.columns))
    ids = set(frame[spec["record_id"]].astype(str))
    truth = truth_records[truth_records["dataset"] == spec["dataset"]]
    # Ragged (malformed) CSV rows are skipped by the reader; all others must match exactly.
    assert ids <= set(truth["record_id"])
    errors = pd.read_parquet(county / "truth" / "errors.parquet")
    malformed = int(((errors["dataset"] == spec["dataset"])
                     & (errors["error"] == "malformed")).sum())
    assert len(ids) >= min(0.98 * len(truth), len(truth) - malformed)


def test_truth_tables_have_the_required_columns(county: Path) -> None:
    required = {
        "records": {"dataset", "record_id", "person_id", "household_id", "event_id"},
        "persons": {"person_id", "household_id", "first_name", "last_name", "date_of_birth",
                    "sex", "ethnicity", "nhs_number", "ni_number", "substance_misuse",
                    "mental_health", "da_history", "da_high_risk_escalation", "school_ready",
                    "p_not_school_ready"},
        "households": {"household_id", "uprn", "postcode", "oa_code", "first_uprn", "move_date",
                       "p_da_escalation", "da_high_risk_escalation", "known_to_services",
                       "early_help"},
        "events": {"person_id", "household_id", "event_type", "event_date", "event_id",
                   "attributes"},
        "pii": {"dataset", "file", "record_id", "field", "kind", "value", "start", "end"},
        "interventions": {"household_id", "start_date", "rate_ratio", "events_prevented"},
        "errors": {"dataset", "record_id", "field", "error", "clean_value", "value"},
    }
    for name, columns in required.items():
        frame = pd.read_parquet(county / "truth" / f"{name}.parquet")
        assert columns <= set(frame.columns), (name, columns - set(frame.columns))
        assert len(frame) > 0, name


def test_records_point_at_true_persons_events_and_households(county: Path,
                                                             truth_records: pd.DataFrame) -> None:
    persons = pd.read_parquet(county / "truth" / "persons.parquet")
    households = pd.read_parquet(county / "truth" / "households.parquet")
    events = pd.read_parquet(county / "truth" / "events.parquet")
    assert truth_records["record_id"].is_unique
    assert set(truth_records["person_id"]) <= set(persons["person_id"])
    assert set(truth_records["household_id"]) <= set(households["household_id"])
    assert set(truth_records["event_id"].dropna()) <= set(events["event_id"])
    assert persons["person_id"].is_unique and households["household_id"].is_unique
    assert set(events["event_type"]) <= set(load_model().events)


def test_nhs_numbers_have_valid_check_digits_and_are_unique(county: Path) -> None:
    persons = pd.read_parquet(county / "truth" / "persons.parquet")
    numbers = persons["nhs_number"].to_numpy().astype(str)
    assert nhs_is_valid(numbers).all()
    assert persons["nhs_number"].is_unique
    ni = persons["ni_number"].dropna()
    assert ni.str.fullmatch(r"[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\d{6}[A-D]").all()


def test_postcodes_are_uk_format_and_in_the_directory(county: Path) -> None:
    directory = pd.read_csv(county / "reference" / "postcodes.csv")
    assert directory["postcode"].str.fullmatch(r"[A-Z]{1,2}\d{1,2} \d[A-Z]{2}").all()
    households = pd.read_parquet(county / "truth" / "households.parquet")
    assert set(households["postcode"]) <= set(directory["postcode"])
    geo = json.loads((county / "reference" / "output_areas.geojson").read_text())
    assert {f["properties"]["oa_code"] for f in geo["features"]} == set(directory["oa_code"])


def test_structured_pii_values_are_in_their_files(county: Path) -> None:
    pii = pd.read_parquet(county / "truth" / "pii.parquet")
    structured = pii[pii["start"].isna()]
    sample = structured.groupby("file").head(20)
    for file, values in sample.groupby("file"):
        path = county / file
        if path.suffix in {".parquet", ".xlsx"}:
            continue
        raw = path.read_bytes()
        text = raw.decode("cp1252" if b"\\x" in raw[:0] else "utf-8", errors="replace")
        for value in values["value"]:
            assert value in text or value.encode("cp1252", "replace").decode(
                "cp1252") in raw.decode("cp1252", errors="replace"), (file, value)


def test_free_text_offsets_locate_the_values(county: Path) -> None:
    pii = pd.read_parquet(county / "truth" / "pii.parquet")
    notes = pii[pii["dataset"] == CASE_NOTES.dataset]
    txt = notes[notes["file"].str.endswith(".txt")]
    assert len(txt) > 0 and set(txt["kind"]) >= {"first_name", "last_name", "date_of_birth",
                                                 "address", "postcode", "nhs_number"}
    for file, spans in txt.groupby("file"):
        text = (county / file).read_text(encoding="utf-8")
        for value, start, end in spans[["value", "start", "end"]].itertuples(index=False):
            assert text[int(start):int(end)] == value


def test_outcomes_and_planted_effect_are_in_the_truth(county: Path) -> None:
    households = pd.read_parquet(county / "truth" / "households.parquet")
    persons = pd.read_parquet(county / "truth" / "persons.parquet")
    interventions = pd.read_parquet(county / "truth" / "interventions.parquet")
    assert households["da_high_risk_escalation"].sum() > 0
    assert (persons["school_ready"] == False).sum() > 0  # noqa: E712
    assert ((households["known_to_services"] == False)  # noqa: E712
            & households["household_id"].isin(
                persons.loc[persons["school_ready"] == False, "household_id"])).any()  # noqa: E712
    assert (interventions["rate_ratio"] == 0.7).all() and len(interventions) > 0
    p = households["p_da_escalation"].to_numpy()
    assert ((p >= 0) & (p <= 1)).all()
    # The true probability ranks escalating households above the rest.
    positive = p[households["da_high_risk_escalation"].to_numpy()]
    assert positive.mean() > 3 * p.mean()


@pytest.fixture(scope="module")
def truth_records(county: Path) -> pd.DataFrame:
    return pd.read_parquet(county / "truth" / "records.parquet")


def test_spine_covers_households_unknown_to_services(county: Path) -> None:
    spine = pd.read_parquet(county / "feeds" / "gp_registrations" / "gp_registrations.parquet")
    records = pd.read_parquet(county / "truth" / "records.parquet")
    households = pd.read_parquet(county / "truth" / "households.parquet")
    unknown = set(households.loc[~households["known_to_services"], "household_id"])
    on_spine = set(records.loc[records["dataset"] == "gp_registrations", "household_id"])
    assert len(unknown & on_spine) > 0.5 * len(unknown)
    assert np.isin(spine["nhs_number"].to_numpy(), pd.read_parquet(
        county / "truth" / "persons.parquet")["nhs_number"].to_numpy()).all()
