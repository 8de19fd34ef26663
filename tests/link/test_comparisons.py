"""Role-driven comparisons, derived columns and the model's own prior and u correction."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pyarrow as pa
import pytest
from splink.internals.dialects import SplinkDialect

from odahub.engine.duck import DuckDBEngine
from odahub.link import comparisons
from odahub.link.model import U_FLOOR, deterministic_recall, without_matches_in_u
from odahub.link.prepare import prepare
from tests.link.sql_levels import holds as _holds


def _pair(first_l: str | None, last_l: str | None, first_r: str | None,
          last_r: str | None) -> dict[str, str | None]:
    return {"first_name_l": first_l, "last_name_l": last_l,
            "first_name_r": first_r, "last_name_r": last_r}


def test_swapped_names_allow_a_typo_and_ignore_which_record_is_left(
        engine: DuckDBEngine) -> None:
    both = comparisons.SwappedNamesLevel().create_sql(SplinkDialect.from_string("duckdb"))
    rows = [_pair("ALEXA", "WHITE", "WHITBE", "ALEXA"),    # swapped, one typo
            _pair("WHITBE", "ALEXA", "ALEXA", "WHITE"),    # the same pair the other way round
            _pair("ALEXA", "WHITE", "ALEXA", "WHITE"),     # not swapped
            _pair("JAMES", "COLEMAN", "HOWIE", "JAMES"),   # only one name crossed over
            _pair("ALEXA", None, None, "ALEXA")]           # a missing name is no swap
    assert _holds(engine, both, rows) == [True, True, False, False, False]
    either = comparisons.SwappedNamesLevel(both=False).create_sql(
        SplinkDialect.from_string("duckdb"))
    assert _holds(engine, either, rows) == [True, True, False, True, True]


def test_swapped_names_are_written_for_each_engine() -> None:
    for dialect in ("duckdb", "spark"):
        splink_dialect = SplinkDialect.from_string(dialect)
        sql = comparisons.SwappedNamesLevel().create_sql(splink_dialect)
        assert sql.startswith(f"({splink_dialect.jaro_winkler_function_name}(")


def test_a_swap_is_weighed_once_under_first_name() -> None:
    made = comparisons.comparisons_for(["first_name", "last_name"])
    levels = {c.get_comparison("duckdb").output_column_name:  # type: ignore[union-attr]
              c.get_comparison("duckdb").as_dict()["comparison_levels"]  # type: ignore[union-attr]
              for c in made}
    first = [lv for lv in levels["first_name"] if "swapped" in lv["label_for_charts"].lower()]
    last = [lv for lv in levels["last_name"] if "swapped" in lv["label_for_charts"].lower()]
    assert first and not first[0].get("is_null_level")
    assert last and last[0]["is_null_level"]   # no weight of its own: no double counting


def test_prepare_derives_word_order_free_address_numbers_and_sorted_names(
        engine: DuckDBEngine) -> None:
    union = pa.table({
        "dataset": ["a", "a", "b"], "record_id": ["1", "2", "3"],
        "first_name": ["WHITE", "ALEXA", None], "last_name": ["ALEXA", "WHITE", "SMITH"],
        "address": ["22 Warrego Circuit, Burnside 3040", "Burnside 22 WARREGO circuit 3040",
                    "7 High Street"],
    })
    records = prepare(SimpleNamespace(engine=engine), union).records  # type: ignore[arg-type]
    rows = {r["record_id"]: r for r in records.to_pylist()}
    assert rows["1"]["address_words"] == rows["2"]["address_words"]
    assert rows["1"]["address"] != rows["2"]["address"]
    assert rows["1"]["address_numbers"] == "22 3040"
    assert rows["3"]["address_numbers"] is None   # a lone house number blocks half a town
    assert rows["1"]["names_sorted"] == rows["2"]["names_sorted"] == "ALEXA WHITE"
    assert rows["3"]["names_sorted"] is None


def test_blocking_includes_swapped_names_and_optional_address_numbers() -> None:
    rules = [r.get_blocking_rule("duckdb").blocking_rule_sql  # type: ignore[union-attr]
             for r in comparisons.blocking_rules_for(["first_name", "last_name", "address"],
                                                     [["address_numbers"]])]
    assert any("names_sorted" in r for r in rules)
    assert any("address_numbers" in r for r in rules)


def _settings(prior: float, levels: dict[str, list[tuple[float, float]]]) -> dict[str, Any]:
    """Settings JSON with (m, u) per non-null level, best level first."""
    return {"probability_two_random_records_match": prior, "comparisons": [
        {"output_column_name": name, "comparison_levels": [
            {"is_null_level": True},
            *({"m_probability": m, "u_probability": u} for m, u in pairs)]}
        for name, pairs in levels.items()]}


def test_deterministic_recall_comes_from_the_trained_exact_levels() -> None:
    settings = _settings(1e-4, {"first_name": [(0.6, 1e-3), (0.4, 0.9)],
                                "last_name": [(0.5, 1e-3), (0.5, 0.9)],
                                "date_of_birth": [(0.9, 1e-4), (0.1, 0.9)],
                                "nhs_number": [(0.8, 1e-6), (0.2, 0.9)]})
    shares = {"first_name": 1.0, "last_name": 1.0, "date_of_birth": 1.0, "nhs_number": 0.5}
    names_only = deterministic_recall(settings, shares,
                                      [("first_name", "last_name", "date_of_birth")])
    assert names_only == pytest.approx(0.6 * 0.5 * 0.9)
    with_nhs = deterministic_recall(settings, shares, [
        ("first_name", "last_name", "date_of_birth"), ("nhs_number",)])
    assert with_nhs == pytest.approx(1 - (1 - 0.27) * (1 - 0.25 * 0.8))
    assert deterministic_recall(settings, {"first_name": 0.0}, [("first_name",)]) == 0.05


def test_u_loses_the_matches_a_random_sample_holds() -> None:
    prior, sampled = 1e-3, 1_000_000
    settings = _settings(prior, {"other_id": [(0.9, 9.2e-4), (0.1, 0.999)],
                                 "first_name": [(0.8, 0.02), (0.2, 0.98)]})
    corrected = without_matches_in_u(settings, sampled)["comparisons"]
    id_exact = corrected[0]["comparison_levels"][1]["u_probability"]
    # almost all sampled agreement came from matches: what is left is noise, so u is the
    # sampling error of the share, never zero and far below the raw share
    assert id_exact == pytest.approx((9.2e-4 / sampled) ** 0.5)
    assert U_FLOOR < id_exact < 9.2e-4 / 10
    name_exact = corrected[1]["comparison_levels"][1]["u_probability"]
    assert name_exact == pytest.approx((0.02 - prior * 0.8) / (1 - prior))


def test_households_take_the_pseudonymised_uprn_token(tmp_path: Any) -> None:
    from odahub.link.households import uprn_tokens, with_uprn_tokens
    from tests.conftest import make_hub

    hub = make_hub(tmp_path / "home")
    try:
        zones = {"identified": ["100023336956", "200001", None],
                 "pseudonymised": ["tok-a", "tok-b", None]}
        for zone, uprns in zones.items():
            table = pa.table({"dataset": ["fire"] * 3, "record_id": ["1", "2", "3"],
                              "uprn": pa.array(uprns, pa.string())})
            with hub.lake.new_version(zone, "fire", rows_read=3, rows_accepted=3) as writer:
                writer.write_table(table)
        tokens = uprn_tokens(hub.lake, ["fire", "not_pseudonymised"])
        assert dict(zip(tokens["address_key"].to_pylist(), tokens["uprn_token"].to_pylist(),
                        strict=True)) == {"U:100023336956": "tok-a", "U:200001": "tok-b"}
        memberships = pa.table({"household_id": ["H-1", "H-2"], "person_id": ["P-1", "P-2"],
                                "valid_from": pa.array([None, None], pa.date32()),
                                "valid_to": pa.array([None, None], pa.date32()),
                                "address_key": ["U:200001", "N:OD1 1AA|12"]})
        rows = with_uprn_tokens(memberships, tokens).sort_by("household_id").to_pylist()
        assert [r["uprn_token"] for r in rows] == ["tok-b", None]   # no UPRN, no token
        assert list(rows[0]) == ["household_id", "person_id", "valid_from", "valid_to",
                                 "uprn_token"]
    finally:
        hub.close()
