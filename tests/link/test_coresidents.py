"""Household members share a surname: the co-resident level weighs name and address jointly."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from odahub.engine.duck import DuckDBEngine
from odahub.link import comparisons, coresidents
from odahub.link.evaluate import evaluate
from tests.link.sql_levels import holds


def _row(last_l: str, last_r: str, address_l: str | None, address_r: str | None,
         postcode_l: str = "OD1 1AA", postcode_r: str = "OD1 1AA") -> dict[str, str | None]:
    number = {a: a.split()[0] if a else None for a in (address_l, address_r)}
    return {"last_name_l": last_l, "last_name_r": last_r, "address_l": address_l,
            "address_r": address_r, "postcode_l": postcode_l, "postcode_r": postcode_r,
            "address_number_l": number[address_l], "address_number_r": number[address_r]}


def _holds(engine: DuckDBEngine, level: Any, rows: list[dict[str, str | None]]) -> list[bool]:
    return holds(engine, level.get_comparison_level("duckdb").as_dict()["sql_condition"], rows)


def test_the_levels_hold_for_similar_surnames_at_one_place(engine: DuckDBEngine) -> None:
    address, postcode = coresidents.levels(["last_name", "address", "postcode"])
    rows = [_row("SMITH", "SMITH", "4 HIGH ST", "4 HIGH ST"),
            _row("SMITH", "SMIHT", "4 HIGH ST", "4 HIGH ST"),     # a surname typo
            _row("SMITH", "SMITH", "4 HIGH ST", "4 HIHG ST"),     # the line mistyped
            _row("SMITH", "SMITH", "4 HIGH ST", "6 HIGH ST"),     # neighbours
            _row("SMITH", "JONES", "4 HIGH ST", "4 HIGH ST"),     # lodgers
            _row("SMITH", "SMITH", "4 HIGH ST", None),            # one line missing
            _row("SMITH", "SMITH", "4 HIGH ST", None, postcode_r="OD9 9ZZ")]
    assert _holds(engine, address, rows) == [True, True, True, False, False, False, False]
    assert _holds(engine, postcode, rows) == [True, True, True, True, False, True, False]


def _last_name_levels(roles: list[str], co_residents: bool = True) -> list[str]:
    for made in comparisons.comparisons_for(roles, co_residents):
        comparison = made.get_comparison("duckdb")  # type: ignore[union-attr]
        if comparison.output_column_name == "last_name":
            return [lv["label_for_charts"] for lv in comparison.as_dict()["comparison_levels"]
                    if not lv.get("is_null_level")]
    raise AssertionError("no last_name comparison")


def test_the_levels_come_first_where_their_roles_exist() -> None:
    both = coresidents.ADDRESS, coresidents.POSTCODE
    assert tuple(_last_name_levels(["last_name", "address", "postcode"])[:2]) == both
    assert _last_name_levels(["last_name", "uprn"])[0] == coresidents.ADDRESS
    assert _last_name_levels(["last_name", "postcode"])[0] == coresidents.POSTCODE
    for roles, flag in ((["last_name", "date_of_birth"], True), (["last_name", "address"], False)):
        assert not set(_last_name_levels(roles, flag)) & set(coresidents.LABELS)


def _settings(prior: float, co: float, exact: float, similar: float,
              exact_u: float = 0.004, similar_u: float = 0.001) -> dict[str, Any]:
    return {"probability_two_random_records_match": prior, "comparisons": [
        {"output_column_name": "last_name", "comparison_levels": [
            {"is_null_level": True},
            {"label_for_charts": coresidents.ADDRESS, "m_probability": co, "u_probability": 1e-6},
            {"m_probability": exact, "u_probability": exact_u},
            {"m_probability": similar, "u_probability": similar_u},
            {"m_probability": 1 - co - exact - similar, "u_probability": 0.995}]}]}


def _weights(settings: dict[str, Any]) -> list[float]:
    levels = settings["comparisons"][0]["comparison_levels"][1:4]
    return [math.log2(lv["m_probability"] / lv["u_probability"]) for lv in levels]


def _counts(records: int, place: int, name: int) -> dict[str, dict[str, int]]:
    return {"n": {"records": records}, coresidents.ADDRESS: {"place": place, "name": name}}


def test_u_is_the_surname_share_among_different_people_at_one_address() -> None:
    # EM split the name's agreement by address: half its matches live together
    settings, at_place = coresidents.split_m(_settings(1e-5, co=0.45, exact=0.45, similar=0.05))
    assert at_place == {coresidents.ADDRESS: pytest.approx(0.45 / 0.95)}
    levels = settings["comparisons"][0]["comparison_levels"]
    exact = 0.45 * 0.95 / 0.5
    assert levels[1]["m_probability"] == pytest.approx(0.95)
    assert levels[2]["m_probability"] == pytest.approx(exact)   # as often elsewhere
    settings, counted = coresidents.set_u(settings, _counts(10_000, 20_000, 15_000), at_place)
    matches = 1e-5 * 10_000 * 9_999 / 2 * 0.45 / 0.95
    share = (15_000 - matches * exact) / (20_000 - matches) * 0.95 / exact
    assert levels[1]["u_probability"] == pytest.approx(share)
    assert counted[coresidents.ADDRESS]["surname_share"] == pytest.approx(share, abs=1e-5)
    # a shared surname at a shared address says little; elsewhere it keeps its weight
    co_weight, exact_weight, _ = _weights(settings)
    assert co_weight < 1 < exact_weight - 6


def test_without_households_the_level_weighs_as_an_agreeing_surname() -> None:
    settings, at_place = coresidents.split_m(_settings(1e-3, co=0.45, exact=0.45, similar=0.05))
    # all of the pairs at one address are matches
    settings, _ = coresidents.set_u(settings, _counts(1_000, 240, 230), at_place)
    levels = settings["comparisons"][0]["comparison_levels"]
    assert levels[1]["u_probability"] == pytest.approx(0.005)   # the plain u, never below


@pytest.mark.slow
def test_household_namesakes_are_not_linked(tmp_path: Path) -> None:
    """Households whose members share surname and address (bench/link.py's population): two
    members with one first name but different dates of birth are different people."""
    from bench.link import records

    from odahub.link import outputs
    from odahub.link.run import LinkOptions, link
    from tests.conftest import make_hub
    from tests.link.febrl import write_identified

    tables, truth = records(30_000, seed=5)
    hub = make_hub(tmp_path / "home")
    try:
        for name, table in tables.items():
            write_identified(hub, table, name)
        link(hub, LinkOptions(mode="full", retrain=True))
        links = outputs.read(hub, "links")
        scores = evaluate(hub.engine, links, truth)["pairwise"]
        assert scores["precision"] >= 0.985 and scores["recall"] >= 0.985, scores
    finally:
        hub.close()
