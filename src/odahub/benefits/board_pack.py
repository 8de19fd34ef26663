"""What a board paper shows: plain data gathered once, rendered to XLSX, PDF or web pages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from odahub.benefits.portfolio import PortfolioSummary
from odahub.benefits.savings import SavingsReport


@dataclass
class BoardPack:
    title: str
    prepared: date
    savings: SavingsReport | None = None
    portfolio: PortfolioSummary | None = None
    risks: list[dict[str, Any]] = field(default_factory=list)
    benefits: list[dict[str, Any]] = field(default_factory=list)

    @property
    def attribution(self) -> str:
        return self.savings.attribution if self.savings else ""

    def savings_rows(self) -> list[list[Any]]:
        if self.savings is None:
            return []
        return [[f.label, f.source, f.count, f.unit_cost_code or "published", round(f.unit_value),
                 round(f.annual_cost), round(f.potential_annual_saving), round(f.cashable_annual),
                 round(f.case.financial_npv), _ratio(f.case.financial_roi),
                 _ratio(f.case.public_value_roi), f.case.payback_year]
                for f in self.savings.findings]

    def portfolio_rows(self) -> list[list[Any]]:
        if self.portfolio is None:
            return []
        rows = [[y["financial_year"], round(y["actual"]), round(y["forecast"]),
                 round(y["balance"])] for y in self.portfolio.spend_by_year]
        rows += [[c["description"], "", "", round(c["balance"])]
                 for c in self.portfolio.after_changes]
        return rows

    def risk_rows(self) -> list[list[Any]]:
        return [[r["reference"], r["title"], r["owner"], r["probability"], r["impact"], r["score"],
                 r["rag"], r["residual_score"], r["residual_rag"], str(r["next_review"] or "")]
                for r in self.risks]

    def benefit_rows(self) -> list[list[Any]]:
        return [[b["name"], b["owner"], b["kind"], b["baseline"], b["target"],
                 list(b["actuals"].values())[-1] if b["actuals"] else "", b["status"]]
                for b in self.benefits]


SAVINGS_HEADER = ["Finding", "Source", "Count", "Unit cost", "Unit value £", "Annual cost £",
                  "Potential saving £/yr", "Cashable £/yr", "Financial NPV £", "Financial ROI",
                  "Public value ROI", "Payback year"]
PORTFOLIO_HEADER = ["Financial year / change", "Actual £", "Forecast £", "Balance £"]
RISK_HEADER = ["Ref", "Risk", "Owner", "P", "I", "Score", "RAG", "Residual", "Residual RAG",
               "Next review"]
BENEFIT_HEADER = ["Benefit", "Owner", "Kind", "Baseline", "Target", "Latest", "Status"]


def _ratio(value: float | None) -> float | str:
    return round(value, 2) if value is not None else ""
