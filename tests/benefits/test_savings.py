"""Savings from findings with the CBA conventions, and from the risk lists in marts."""

from __future__ import annotations

import pyarrow as pa
import pytest

from odahub.benefits.cba import Adjustments, BenefitLine, CostLine, appraise
from odahub.benefits.conventions import load_conventions
from odahub.benefits.costs_store import packaged_workbook
from odahub.benefits.findings import load_findings
from odahub.benefits.savings_marts import count_entities, savings_from_marts, write_report
from odahub.benefits.service import sample_savings
from odahub.benefits.ucd_workbook import read_workbook
from odahub.benefits.unitcosts import UnitCostBook
from odahub.errors import SpecError

CONVENTIONS = load_conventions()


@pytest.fixture(scope="module")
def book() -> UnitCostBook:
    return read_workbook(packaged_workbook(), CONVENTIONS)


def test_essex_findings_cost_to_public_services(book: UnitCostBook) -> None:
    report = sample_savings(book, CONVENTIONS)
    costs = {f.name: round(f.annual_cost) for f in report.findings}
    assert costs == {"school_readiness": 294_840, "child_exploitation_areas": 718_400,
                     "domestic_abuse_escalation": 567_200}
    assert round(report.annual_cost) == 1_580_440
    assert report.conventions_version == CONVENTIONS.version and report.price_year == "2015/16"


def test_adjustments_shrink_the_saving_in_the_documented_order(book: UnitCostBook) -> None:
    finding = next(f for f in sample_savings(book, CONVENTIONS).findings
                   if f.name == "domestic_abuse_escalation")
    # 25% reduction, 25% deadweight, 70% attribution, amber RAG -> 15% optimism bias.
    expected = 567_200 * 0.25 * 0.75 * 0.7 * (1 - 0.15)
    assert finding.optimism_bias == 0.15
    assert finding.potential_annual_saving == pytest.approx(expected)
    assert finding.cashable_annual == pytest.approx(expected * 0.1)
    agencies = finding.case.by_agency
    assert agencies["Police"]["invests"] == pytest.approx(60_000)
    assert agencies["Acute Trust / Hospital"]["benefits"] > agencies["Police"]["benefits"] > 0


def test_green_book_discounting_and_payback() -> None:
    conventions = CONVENTIONS
    assert conventions.discount_factor(0) == 1.0
    assert conventions.discount_factor(2) == pytest.approx(1 / 1.035**2)
    assert conventions.discount_factor(2, health=True) == pytest.approx(1 / 1.015**2)
    assert conventions.discount_factor(32) == pytest.approx(1 / (1.035**30 * 1.03**2))
    profile = Adjustments(drop_off=0.5, years=3)
    line = BenefitLine("b", "Police", "fiscal", 100.0, profile)
    health = BenefitLine("h", "NHS", "social", 100.0, profile, health=True)
    case = appraise([line, health], [CostLine("Council", (120.0,))], conventions)
    assert case.pv_fiscal == pytest.approx(100 + 50 / 1.035 + 25 / 1.035**2)
    assert case.pv_public_value == pytest.approx(case.pv_fiscal + 100 + 50 / 1.015
                                                 + 25 / 1.015**2)
    assert case.payback_year == 1 and case.financial_roi == pytest.approx(case.pv_fiscal / 120)
    with pytest.raises(SpecError):
        Adjustments(deadweight=1.5)


def test_transfer_payments_count_in_the_financial_case_only() -> None:
    adjust = Adjustments()
    lines = [BenefitLine("benefit saving", "DWP", "fiscal", 100.0, adjust, transfer_payment=True),
             BenefitLine("earnings", "Society", "economic", 40.0, adjust)]
    case = appraise(lines, [CostLine("DWP", (50.0,))], CONVENTIONS)
    assert case.pv_fiscal == 100 and case.pv_public_value == 40


def test_risk_lists_in_marts_become_a_savings_report(sqlite_hub, book: UnitCostBook) -> None:  # type: ignore[no-untyped-def]
    hub = sqlite_hub
    households = pa.table({"household_id": [f"H-{i}" for i in range(300)],
                           "score": [1 - i / 300 for i in range(300)],
                           "rank": list(range(1, 301)), "tier": ["high"] * 300})
    areas = pa.table({"oa_code": [f"E0{i}" for i in range(90)], "score": [0.5] * 90,
                      "rank": list(range(1, 91))})
    for name, table in (("risk_da_escalation", households), ("risk_child_exploitation", areas),
                        ("risk_vulnerability", households)):
        with hub.lake.new_version("marts", name) as writer:
            writer.write_table(table)
    found = savings_from_marts(hub, book, CONVENTIONS, load_findings())
    counts = {f.name: f.count for f in found.report.findings}
    assert counts == {"domestic_abuse_escalation": 200, "child_exploitation_areas": 82}
    assert "risk_vulnerability" in found.skipped
    assert write_report(hub, found.report) == 1
    stored = hub.lake.read_latest("marts", "benefits_savings")
    assert sorted(stored.column("name").to_pylist()) == sorted(counts)


def test_an_area_list_with_counts_sums_them() -> None:
    spec = load_findings().by_name("child_exploitation_areas")
    table = pa.table({"oa_code": ["A", "B"], "count": [3, 4], "rank": [1, 2]})
    assert count_entities(table, spec) == 7
