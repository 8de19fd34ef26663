from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pyarrow as pa
import pytest

from odahub.engine.duck import DuckDBEngine
from odahub.ingest.spec import parse_spec
from odahub.ingest.standardise import build_plan, detect_date_formats

SPEC = """\
dataset: people
partner: council
format: csv
record_id: ref
event_type: cin_referral
columns:
  name: {role: full_name}
  born: {role: date_of_birth}
  gender: {role: sex}
  pc: {role: postcode}
  nhs: {role: nhs_number}
  ni: {role: ni_number}
  tel: {role: phone}
  mail: {role: email}
  seen: {role: event_date, format: "%d/%m/%Y"}
  source: {attribute: referral_source}
  hours: {type: number}
  kids: {type: integer}
  flag: {type: boolean}
"""


@pytest.fixture(scope="module")
def engine() -> Iterator[DuckDBEngine]:
    made = DuckDBEngine()
    yield made
    made.close()


def standardise(engine: DuckDBEngine, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    spec = parse_spec(SPEC)
    columns = ["ref", *spec.columns]
    data = {c: pa.array([r.get(c) for r in rows], pa.string()) for c in columns}
    data["_source_row"] = pa.array(range(1, len(rows) + 1), pa.int64())
    table = pa.table(data)
    formats = detect_date_formats(engine, spec, table, "sample")
    plan = build_plan(spec, table.column_names, "f.csv", "raw", formats)
    engine.register("raw", table)
    try:
        result: list[dict[str, Any]] = engine.sql(plan.sql).to_pylist()
        return result
    finally:
        engine.unregister("raw")


def one(engine: DuckDBEngine, **values: str | None) -> dict[str, Any]:
    return standardise(engine, [{"ref": "R1", "seen": "01/02/2021", **values}])[0]


def test_names_are_upper_case_without_titles_keeping_hyphens_and_apostrophes(
        engine: DuckDBEngine) -> None:
    row = one(engine, name="  Mrs.  Siobhán   O’Neill-Hughes ")
    assert row["full_name"] == "SIOBHÁN O'NEILL-HUGHES"
    assert (row["first_name"], row["last_name"]) == ("SIOBHÁN", "O'NEILL-HUGHES")
    assert one(engine, name="SMITH, john")["first_name"] == "JOHN"


def test_postcodes_are_normalised_and_bad_ones_flagged_not_rejected(engine: DuckDBEngine) -> None:
    assert one(engine, pc=" cb21tn")["postcode"] == "CB2 1TN"
    assert one(engine, pc="SW1A1AA")["postcode"] == "SW1A 1AA"
    bad = one(engine, pc="NOT A PC")
    assert bad["postcode"] is None and "postcode:invalid" in bad["_flags"]
    assert bad["_reject_reason"] is None


def test_nhs_number_check_digit_nulls_and_flags_but_keeps_the_row(engine: DuckDBEngine) -> None:
    good = one(engine, nhs="943 476 5919")
    assert good["nhs_number"] == "9434765919" and good["_flags"] == []
    bad = one(engine, nhs="9434765918")
    assert bad["nhs_number"] is None and bad["_flags"] == ["nhs_number:check_digit"]
    assert bad["_reject_reason"] is None  # the row is kept


@pytest.mark.parametrize(("given", "expected"), [
    ("cb2 1tn", "CB2 1TN"), ("SW1A 1AA", "SW1A 1AA"), ("w11aa", "W1 1AA"),
    ("CB2  1TN", "CB2 1TN"), ("cb2-1tn", "CB2 1TN"), ("C B 2 1 T N", "CB2 1TN"),
    ("CB2 1TÑ", None), ("bad", None), ("\u00a0cb2 1tn ", "CB2 1TN"), ("   ", None)])
def test_postcode_fast_path_agrees_with_the_full_cleaning(engine: DuckDBEngine, given: str,
                                                          expected: str | None) -> None:
    row = one(engine, pc=given)
    assert row["postcode"] == expected
    # Flagged only if there was a value (blank is missing, not invalid).
    assert ("postcode:invalid" in row["_flags"]) == (expected is None and given.strip() != "")


NAMES = """\
dataset: people
partner: council
format: csv
record_id: ref
columns:
  fn: {role: first_name}
  ln: {role: last_name}
"""


@pytest.mark.parametrize(("given", "first", "last"), [
    ("Zoë", "ZOË", "ZOË"), (" o’neill ", "O'NEILL", "O'NEILL"), ("Mr John", "JOHN", "MR JOHN"),
    ("\u00a0Ann\u00a0", "ANN", "ANN"), ("   ", None, None), ("Mr", "MR", "MR")])
def test_first_and_last_names_read_untrimmed_text_as_if_trimmed(
        engine: DuckDBEngine, given: str, first: str | None, last: str | None) -> None:
    table = pa.table({"ref": ["R1"], "fn": [given], "ln": [given], "_source_row": [1]})
    plan = build_plan(parse_spec(NAMES), table.column_names, "f.csv", "names", {})
    engine.register("names", table)
    try:
        row = engine.sql(plan.sql).to_pylist()[0]
    finally:
        engine.unregister("names")
    assert (row["first_name"], row["last_name"]) == (first, last)


@pytest.mark.parametrize(("given", "expected"), [
    ("401-023-2137", "4010232137"), ("4010232137", "4010232137"), ("401 023 21", None),
    ("+010232137", None), ("1e09232137", None), ("0x12345678", None), ("401.023213", None),
    ("40102321370", None), ("４010232137", None)])
def test_nhs_numbers_are_ten_digits_once_spaces_and_hyphens_go(engine: DuckDBEngine, given: str,
                                                               expected: str | None) -> None:
    row = one(engine, nhs=given)
    assert row["nhs_number"] == expected
    assert row["_flags"] == ([] if expected else ["nhs_number:check_digit"])


def test_impossible_future_and_implausible_dates_go_to_quarantine(engine: DuckDBEngine) -> None:
    rows = standardise(engine, [
        {"ref": "1", "born": "31/02/1980", "seen": "01/02/2021"},
        {"ref": "2", "born": "01/01/2999", "seen": "01/02/2021"},
        {"ref": "3", "born": "01/01/1850", "seen": "01/02/2021"},
        {"ref": "4", "born": "05/11/1999", "seen": "2021-13-01"},
        {"ref": "5", "born": "05/11/1999", "seen": "01/02/2021"},
    ])
    reasons = [r["_reject_reason"] for r in rows]
    assert "born: not a valid date" in reasons[0]
    assert "born: date is in the future" in reasons[1]
    assert "implausible" in reasons[2]
    assert "seen: not a valid date (expected %d/%m/%Y)" in reasons[3]
    assert reasons[4] is None and rows[4]["date_of_birth"] == date(1999, 11, 5)
    assert [r["_reject_column"] for r in rows[:4]] == ["born", "born", "born", "seen"]
    assert '"born":"31/02/1980"' in rows[0]["_raw"]


def test_missing_record_id_is_quarantined(engine: DuckDBEngine) -> None:
    row = one(engine, ref=None)
    assert row["_reject_column"] == "ref" and "record id missing" in row["_reject_reason"]


def test_date_format_is_detected_among_uk_forms(engine: DuckDBEngine) -> None:
    iso = standardise(engine, [{"ref": str(i), "born": f"19{80 + i}-0{1 + i}-2{i}",
                                "seen": "01/02/2021"} for i in range(5)])
    assert [r["date_of_birth"] for r in iso][:2] == [date(1980, 1, 20), date(1981, 2, 21)]
    uk = standardise(engine, [{"ref": "1", "born": "03/04/1990", "seen": "01/02/2021"},
                              {"ref": "2", "born": "25/12/1990", "seen": "01/02/2021"}])
    assert uk[0]["date_of_birth"] == date(1990, 4, 3)  # day first, as UK partners write


def test_codes_contacts_and_types(engine: DuckDBEngine) -> None:
    row = one(engine, gender="female", ni="ab 12 34 56 c", tel="+44 (0)7700 900123",
              mail=" Jo.Bloggs@Example.ORG ", hours="1,234.5", kids="3", flag="Yes",
              source="school")
    assert (row["sex"], row["ni_number"], row["phone"], row["email"]) == (
        "F", "AB123456C", "07700900123", "jo.bloggs@example.org")
    assert (row["hours"], row["kids"], row["flag"]) == (1234.5, 3, True)
    assert row["referral_source"] == "school" and row["event_type"] == "cin_referral"
    odd = one(engine, gender="x", ni="QQ123456C", tel="123", mail="nope", kids="2.5")
    assert odd["sex"] == "U" and odd["ni_number"] is None and odd["kids"] is None
    assert set(odd["_flags"]) == {"ni_number:invalid", "phone:invalid", "email:invalid",
                                  "kids:integer"}


@pytest.mark.parametrize("given", [" 05/11/1999", "05/11/1999 ", "\u00a005/11/1999\u00a0"])
def test_dates_with_spaces_at_the_ends_parse_as_if_trimmed(engine: DuckDBEngine,
                                                           given: str) -> None:
    row = one(engine, born=given)
    assert row["date_of_birth"] == date(1999, 11, 5) and row["_reject_reason"] is None


@pytest.mark.parametrize(("given", "expected"), [
    ("f", "F"), (" Male ", "M"), ("\u00a0m", "M"), ("x", "U"), ("  ", None)])
def test_sex_codes_are_read_as_if_trimmed(engine: DuckDBEngine, given: str,
                                          expected: str | None) -> None:
    assert one(engine, gender=given)["sex"] == expected
