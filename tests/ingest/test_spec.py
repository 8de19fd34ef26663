from __future__ import annotations

from pathlib import Path

import pytest

from odahub.errors import SpecError
from odahub.ingest.spec import load_spec, parse_spec
from tests.ingest.helpers import SPEC

CONTRACT_EXAMPLE = """\
dataset: police_incidents
partner: police
format: csv
options: {delimiter: ";", encoding: cp1252}
record_id: incident_ref
event_type: crime
columns:
  forename: {role: first_name}
  dob: {role: date_of_birth, format: "%d/%m/%Y"}
  dash: {attribute: dash_risk}
  status: {type: string}
"""


def test_contract_example_parses_with_roles_attributes_and_types() -> None:
    spec = parse_spec(CONTRACT_EXAMPLE)
    assert spec.options.delimiter == ";" and spec.options.encoding == "cp1252"
    assert spec.event_type == "crime"
    assert spec.columns["dash"].attribute == "dash_risk"
    assert spec.columns["dob"].format == "%d/%m/%Y"


def test_every_problem_is_reported_at_once_with_its_line() -> None:
    broken = """\
dataset: Police-Incidents
partner: police
format: csv
options: {sheet: Referrals}
record_id: ref
event_type: burglary
columns:
  forename: {role: first_nam}
  dash: {attribute: dash_level}
  status: {type: text}
  when: {role: event_date, format: "%Q"}
  notes: {}
"""
    with pytest.raises(SpecError) as caught:
        parse_spec(broken, "broken.yaml")
    found = {(p.line, p.message.split(" ")[0]) for p in caught.value.problems}
    lines = sorted(p.line or 0 for p in caught.value.problems)
    assert lines == [1, 4, 6, 8, 9, 10, 11, 12], caught.value
    assert all(p.file == "broken.yaml" for p in caught.value.problems)
    text = str(caught.value)
    for expected in ("snake_case", "'sheet' does not apply to format csv", "first_nam",
                     "dash_level", "burglary", "needs one of role, attribute or type"):
        assert expected in text, (expected, text)
    assert found


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(SPEC + "  broken: [unclosed\n")
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert caught.value.problems[0].line is not None
    assert "not valid YAML" in str(caught.value)


def test_missing_keys_and_two_columns_for_one_role() -> None:
    text = "dataset: x\nformat: csv\ncolumns:\n  a: {role: sex}\n  b: {role: sex}\n"
    with pytest.raises(SpecError) as caught:
        parse_spec(text)
    message = str(caught.value)
    assert "partner: Field required" in message and "record_id: Field required" in message
    assert "both give 'sex'" in message
