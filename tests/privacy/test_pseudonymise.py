from __future__ import annotations

import hashlib
import hmac

import pytest

from odahub.hub import Hub
from odahub.privacy.domains import active_key
from odahub.privacy.step import pseudonymise_all, summary
from tests.privacy.sample import identified_table, write_identified, write_postcodes


def test_direct_identifiers_become_domain_tokens_and_quasi_identifiers_are_derived(
        hub: Hub) -> None:
    write_identified(hub)
    write_postcodes(hub)
    result = summary(pseudonymise_all(hub, "default"))
    assert result["pseudonymised"] == 1 and result["tokens"] > 0, result
    table = hub.lake.read_latest("pseudonymised", "social_care")
    key_id, key = active_key(hub, "default")
    expected = hmac.new(key, b"9434765919", hashlib.sha256).hexdigest()
    assert table["nhs_number"].to_pylist() == [expected, None, expected]
    assert table["date_of_birth"][0].as_py() == hmac.new(
        key, b"2010-03-12", hashlib.sha256).hexdigest()
    assert table["first_name"][0] == table["first_name"][2] != table["first_name"][1]
    assert table["birth_year"].to_pylist() == [2010, 2012, 2010]
    assert table["birth_month"].to_pylist() == [3, 7, 3]
    assert table["oa_code"].to_pylist() == ["E00000001", "E00000001", None]
    assert table["sex"].to_pylist() == ["F", "M", "F"]  # not a direct identifier
    assert set(table["_key_id"].to_pylist()) == {key_id}
    latest = hub.lake.require_latest("pseudonymised", "social_care")
    assert latest.source_version == 1 and latest.details["key_id"] == key_id


def test_free_text_is_redacted_with_typed_placeholders_and_household_names(hub: Hub) -> None:
    write_identified(hub)
    pseudonymise_all(hub, "default")
    notes = hub.lake.read_latest("pseudonymised", "social_care")["free_text"].to_pylist()
    first, second, third = notes
    for secret in ("Jane", "Doe", "12/03/2010", "943 476 5919", "Acacia", "BA1 2CD",
                   "07700 900123", "sarah.doe@example.com", "AB 12 34 56 C"):
        assert secret not in first, (secret, first)
    for placeholder in ("<PERSON>", "<DOB>", "<NHS_NUMBER>", "<ADDRESS>", "<POSTCODE>",
                        "<PHONE>", "<EMAIL>", "<NI_NUMBER>"):
        assert placeholder in first, (placeholder, first)
    # Tom's record: his sister's name comes from the household, the car from the pattern
    assert "Jane" not in second and "Tom" not in second and "<VEHICLE>" in second, second
    assert third is None


def test_rerun_skips_current_versions_and_new_identified_version_is_picked_up(hub: Hub) -> None:
    write_identified(hub)
    assert summary(pseudonymise_all(hub))["pseudonymised"] == 1
    assert summary(pseudonymise_all(hub))["skipped"] == 1
    write_identified(hub, table=identified_table())
    again = summary(pseudonymise_all(hub))
    assert again["pseudonymised"] == 1
    assert hub.lake.require_latest("pseudonymised", "social_care").source_version == 2


@pytest.mark.parametrize("other", ["project-b"])
def test_tokens_equal_within_a_domain_and_unrelated_across_domains(
        sqlite_hub: Hub, other: str) -> None:
    write_identified(sqlite_hub)
    pseudonymise_all(sqlite_hub, "default")
    first = sqlite_hub.lake.read_latest("pseudonymised", "social_care")
    pseudonymise_all(sqlite_hub, other)
    second = sqlite_hub.lake.read_latest("pseudonymised", "social_care")
    assert first["nhs_number"][0] == first["nhs_number"][2]
    assert second["nhs_number"][0] == second["nhs_number"][2]
    assert not set(first["nhs_number"].drop_null().to_pylist()) & set(
        second["nhs_number"].drop_null().to_pylist())
    assert first["_key_id"][0] != second["_key_id"][0]
