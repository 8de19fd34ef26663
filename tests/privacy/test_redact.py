from __future__ import annotations

import pyarrow as pa
import pytest

from odahub.privacy import redact
from odahub.privacy.recognisers import PLACEHOLDERS
from tests.privacy.sample import NOTES

TEXT = ("Seen with Mrs Okoro at Flat 2, 7 Mill Lane, OX4 1AB on 3rd March 2021 "
        "(DOB 2011-04-05). Call 01632 960 123 or +44 7700 900123; email j.o@mail.co.uk. "
        "NI QQ123456C, NHS 9434765919, car AB12 CDE. Toby Brown was present.")


def test_every_kind_gets_its_typed_placeholder_without_an_nlp_model() -> None:
    out = redact.redact_one(TEXT, gazetteer=frozenset({"TOBY", "BROWN"}))
    assert out is not None
    for secret in ("Okoro", "Mill Lane", "OX4 1AB", "3rd March 2021", "2011-04-05",
                   "960 123", "7700 900123", "j.o@mail.co.uk", "QQ123456C", "9434765919",
                   "AB12 CDE", "Toby", "Brown"):
        assert secret not in out, (secret, out)
    assert set(PLACEHOLDERS.values()) <= set(__import__("re").findall(r"<[A-Z_]+>", out)), out
    assert type(redact.analyzer().nlp_engine).__name__ == "NoOpNlpEngine"


def test_ordinary_words_and_numbers_are_left_alone() -> None:
    text = "Visited on 12 occasions along the way; 3 children, score 42 of 100."
    assert redact.redact_one(text) == text


@pytest.mark.parametrize("text, secret", [
    ("NI no. QQ 12 34 56 C.", "QQ 12 34 56 C"), ("ni: ab123456c,", "ab123456c"),
    ("NINO AB-12-34-56-C", "AB-12-34-56-C"), ("NI number JG 103759 A)", "JG 103759 A"),
    ("(JG103759A)", "JG103759A")])
def test_ni_numbers_in_the_forms_people_write_them(text: str, secret: str) -> None:
    assert redact.redact_one(text) == text.replace(secret, "<NI_NUMBER>")


@pytest.mark.parametrize("text, secret", [
    ("email Jane.Doe12@Example.co.uk.", "Jane.Doe12@Example.co.uk"),
    ("Please use <jane_doe+cs@mail.example.org> for appointments.",
     "jane_doe+cs@mail.example.org"),
    ("(email: o.brien7@example.com)", "o.brien7@example.com"),
    ("emailed JO-ANN.SMITH-JONES3@SUB.EXAMPLE.GOV.UK; no reply", "JO-ANN.SMITH-JONES3@SUB."
     "EXAMPLE.GOV.UK")])
def test_emails_in_sentences_lose_nothing_but_the_address(text: str, secret: str) -> None:
    assert redact.redact_one(text) == text.replace(secret, "<EMAIL>")


@pytest.mark.parametrize("plate", ["AB12 CDE", "YU68LJJ", "dg09 urb"])
def test_vehicle_registrations(plate: str) -> None:
    assert redact.redact_one(f"Partner's car (reg. {plate}) was parked outside.") == (
        "Partner's car (reg. <VEHICLE>) was parked outside.")


def test_an_events_date_stays_and_a_date_of_birth_goes() -> None:
    text = ("Date of visit: 19 June 2020. Seen on 3/4/2021. June Smith (born 3 June 2011). "
            "Visited Amy Shaw, 01/08/2013, at home.")
    out = redact.redact_one(text, names=["JUNE", "SMITH", "AMY", "SHAW"])
    # (the anonymizer joins same-type neighbours: one <PERSON> for the full name)
    assert out == ("Date of visit: 19 June 2020. Seen on 3/4/2021. <PERSON> (born <DOB>). "
                   "Visited <PERSON>, <DOB>, at home.")


def test_a_name_inside_an_address_or_email_is_one_replacement() -> None:
    found = redact.spans("at 5 Newton Court, mail newton.ann@example.org",
                         gazetteer=frozenset({"NEWTON"}))
    assert [s.entity for s in found] == ["ADDRESS", "EMAIL_ADDRESS"]


@pytest.mark.slow
def test_process_pool_gives_the_same_result(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [n for n in NOTES if n] * 10
    names = [["JANE", "DOE", "SARAH", "TOM"]] * len(texts)
    monkeypatch.setattr(redact, "PARALLEL_FROM", 5)
    assert redact.redact_many(texts, names, workers=2) == redact.redact_many(
        texts, names, workers=1)


def test_a_rare_name_is_redacted_only_beside_a_known_one() -> None:
    """A word held as a name in one row only is mostly a keying error ("CARE" for Clare), so
    it is a name only next to a common one; the gazetteer keeps that through a process pool."""
    import pickle

    from odahub.privacy.households import gazetteer

    known = gazetteer([pa.table({"first_name": ["Beverley", "Tom", "Tom"],
                                 "last_name": ["Armstrong", "Armstrong", "Hartley"]})])
    assert "ARMSTRONG" in known and "BEVERLEY" not in known and "BEVERLEY" in known.rare
    known = pickle.loads(pickle.dumps(known))
    assert known.rare == frozenset({"BEVERLEY", "HARTLEY"})
    out = redact.redact_one("Parent/carer present: Beverley Armstrong. Beverley Minster was shut.",
                            gazetteer=known)
    assert out == "Parent/carer present: <PERSON>. Beverley Minster was shut.", out
