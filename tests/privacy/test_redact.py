from __future__ import annotations

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


@pytest.mark.slow
def test_process_pool_gives_the_same_result(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [n for n in NOTES if n] * 10
    names = [["JANE", "DOE", "SARAH", "TOM"]] * len(texts)
    monkeypatch.setattr(redact, "PARALLEL_FROM", 5)
    assert redact.redact_many(texts, names, workers=2) == redact.redact_many(
        texts, names, workers=1)
