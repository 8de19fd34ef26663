"""The benefits step of `odahub demo` / the pipeline: unit costs, a savings report for whatever
risk lists the analytics stage wrote, the sample portfolio and risk register."""

from __future__ import annotations

from typing import Any

from odahub.benefits.conventions import load_conventions
from odahub.benefits.costs_store import current_book, load_edition
from odahub.benefits.findings import load_findings
from odahub.benefits.savings_marts import risk_lists, savings_from_marts, write_report
from odahub.benefits.service import load_portfolio_file, load_risk_file, sample_savings
from odahub.hub import Hub


def run(hub: Hub, state: Any) -> dict[str, Any]:
    conventions, findings = load_conventions(), load_findings()
    edition = load_edition(hub, conventions=conventions)
    book = current_book(hub, edition.edition)
    result: dict[str, Any] = {"unit_costs": edition.rows, "unit_cost_edition": edition.edition}
    if risk_lists(hub):
        found = savings_from_marts(hub, book, conventions, findings)
        report = found.report
        result["risk_lists_used"] = len(found.used)
        result["risk_lists_skipped"] = len(found.skipped)
        result["savings_source"] = "marts risk lists"
    else:
        report = sample_savings(book, conventions, findings)
        result["savings_source"] = "no risk lists in marts yet: Essex pilot counts used"
    if report.findings:
        result["savings_report_version"] = write_report(hub, report)
    totals = report.totals()
    summary = load_portfolio_file(hub)
    result.update({
        "annual_cost_gbp": round(totals["annual_cost"]),
        "potential_annual_saving_gbp": round(totals["potential_annual_saving"]),
        "public_value_roi": round(totals["public_value_roi"], 2),
        "reserve_balance_gbp": round(summary.final_balance),
        "risks": load_risk_file(hub),
    })
    return result
