"""Unit Cost Database: reading the workbook, row levels, uprating, the Essex pilot arithmetic."""

from __future__ import annotations

import pytest
from python_calamine import CalamineWorkbook

from odahub.benefits.conventions import load_conventions
from odahub.benefits.costs_store import current_book, load_edition, packaged_workbook
from odahub.benefits.ucd_workbook import read_workbook
from odahub.benefits.unitcosts import UnitCostBook
from odahub.errors import NotFound, SpecError


@pytest.fixture(scope="module")
def book() -> UnitCostBook:
    return read_workbook(packaged_workbook(), load_conventions())


def test_essex_pilot_arithmetic_straight_from_the_workbook(book: UnitCostBook) -> None:
    school = round(book.uprated("E&S3.0", "2015-16").financial_case)
    domestic_abuse = round(book.uprated("CR2.0", "2015/16").financial_case)
    assert (school, domestic_abuse) == (1053, 2836)
    assert (280 * school, 200 * domestic_abuse) == (294_840, 567_200)
    published_cse = 718_400  # 82 output areas; no derivation published, no CSE row in v1.4
    assert 280 * school + 200 * domestic_abuse + published_cse == 1_580_440


def test_every_uprated_value_matches_the_workbooks_own_formula(book: UnitCostBook) -> None:
    """Our deflator series reproduces columns J, M and P (uprated to 2015/16) on every row."""
    workbook = CalamineWorkbook.from_path(str(packaged_workbook()))
    sheets = {name: workbook.get_sheet_by_name(name).to_python()
              for name in {cost.sheet for cost in book.rows.values()}}
    checked = 0
    for cost in book.rows.values():
        cells = sheets[cost.sheet][cost.row - 1]
        uprated = book.uprated(cost.code, "2015/16")
        for column, value in ((9, uprated.fiscal), (12, uprated.economic), (15, uprated.social)):
            if isinstance(cells[column], float) and value is not None:
                assert value == pytest.approx(cells[column], rel=1e-9), (cost.code, column)
                checked += 1
    assert checked > 650, checked


def test_rows_levels_and_fields(book: UnitCostBook) -> None:
    assert book.edition == "v1.4" and len(book.rows) == 683
    domestic = book.get("cr2.0")
    assert domestic.level == "headline" and domestic.rag == "A" and domestic.unit == "Per incident"
    assert domestic.fiscal and domestic.fiscal.price_year == "2008/09"
    assert domestic.economic and domestic.social and "Walby" in domestic.source
    assert [c.code for c in book.constituents("CR2.0")][:2] == ["CR2.0.1", "CR2.0.2"]
    assert book.get("CR2.0.1").level == "constituent" and book.get("CR2.0.1").parent_code == "CR2.0"
    # The workbook's outline wins over the code pattern: CR6.0 is a subsidiary of CR5.0.
    assert book.get("CR6.0").level == "subsidiary" and book.get("CR6.0").parent_code == "CR5.0"
    assert "New Economy / GMCA, CC BY 4.0" in book.attribution


def test_a_headline_is_never_summed_with_its_constituents(book: UnitCostBook) -> None:
    book.check_summable(["CR2.0", "E&S3.0"])
    with pytest.raises(SpecError, match="CR2.0 contains CR2.0.3"):
        book.check_summable(["CR2.0", "CR2.0.3"])


def test_public_value_excludes_transfer_payments(book: UnitCostBook) -> None:
    domestic = book.uprated("CR2.0", "2015/16")
    assert domestic.public_value_case == pytest.approx(
        domestic.fiscal + domestic.economic + domestic.social)  # type: ignore[operator]
    jobseeker = book.uprated("E&E1.0", "2015/16")
    assert jobseeker.transfer_payment
    assert jobseeker.public_value_case == pytest.approx(jobseeker.economic)
    assert jobseeker.financial_case == pytest.approx(jobseeker.fiscal)


def test_deflator_series_is_versioned_and_refuses_unknown_years(book: UnitCostBook) -> None:
    series = book.deflator
    assert series.label == "ucd-gdp-deflator v1.4" and series.index["1989/90"] == 100.0
    assert "2016/17" in series.forecast_years and "2013/14" not in series.forecast_years
    assert series.factor("2008/09", "2015/16") == pytest.approx(195.9696985671229 / 170.6498940)
    with pytest.raises(NotFound, match="no value for 2030/31"):
        series.factor("2008/09", "2030")


def test_editions_round_trip_through_the_catalog(hub) -> None:  # type: ignore[no-untyped-def]
    first = load_edition(hub)
    again = load_edition(hub)
    assert first.loaded and not again.loaded and first.rows == 683
    stored = current_book(hub)
    assert round(stored.uprated("CR2.0", "2015/16").fiscal or 0) == 2836
    assert stored.get("CR2.0.1").parent_code == "CR2.0"
    assert stored.deflator.forecast_years == read_workbook(
        packaged_workbook(), load_conventions()).deflator.forecast_years
