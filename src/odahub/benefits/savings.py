"""Savings from findings: a count of households / areas on a risk list becomes an annual cost to
public services and a potential saving, with the CBA conventions applied."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

import pyarrow as pa

from odahub.benefits.cba import Adjustments, BenefitLine, CaseResult, CostLine, appraise
from odahub.benefits.conventions import Conventions
from odahub.benefits.findings import FindingsConfig, FindingSpec
from odahub.benefits.unitcosts import UnitCostBook, UpratedCost
from odahub.benefits.years import financial_year


@dataclass
class FindingSavings:
    name: str
    label: str
    source: str            # the risk list it came from, or "published count"
    entity: str
    count: int
    unit_cost_code: str | None
    unit_value: float      # financial case per entity, in the report's price year
    unit_public_value: float
    rag: str
    optimism_bias: float
    annual_cost: float     # cost to public services per annum (fiscal)
    annual_public_value: float
    potential_annual_saving: float  # year 0, after reduction, deadweight, attribution, bias
    cashable_annual: float
    non_cashable_annual: float
    case: CaseResult
    note: str = ""


@dataclass
class SavingsReport:
    price_year: str
    conventions_version: str
    findings_version: str
    unit_cost_edition: str
    deflator: str
    attribution: str
    findings: list[FindingSavings] = field(default_factory=list)

    @property
    def annual_cost(self) -> float:
        return sum(f.annual_cost for f in self.findings)

    @property
    def potential_annual_saving(self) -> float:
        return sum(f.potential_annual_saving for f in self.findings)

    def totals(self) -> dict[str, float]:
        keys = ("pv_costs", "pv_fiscal", "pv_public_value", "financial_npv", "public_value_npv")
        sums = {k: sum(getattr(f.case, k) for f in self.findings) for k in keys}
        return {"annual_cost": self.annual_cost, "annual_public_value":
                sum(f.annual_public_value for f in self.findings),
                "potential_annual_saving": self.potential_annual_saving, **sums,
                "financial_roi": sums["pv_fiscal"] / sums["pv_costs"] if sums["pv_costs"] else 0,
                "public_value_roi":
                    sums["pv_public_value"] / sums["pv_costs"] if sums["pv_costs"] else 0}

    def to_dict(self) -> dict[str, object]:
        return {**asdict(self), "totals": self.totals()}

    def to_table(self) -> pa.Table:
        rows = [{k: v for k, v in asdict(f).items() if k != "case"} | {
            "pv_costs": f.case.pv_costs, "pv_fiscal": f.case.pv_fiscal,
            "pv_public_value": f.case.pv_public_value, "financial_npv": f.case.financial_npv,
            "public_value_npv": f.case.public_value_npv, "financial_roi": f.case.financial_roi,
            "public_value_roi": f.case.public_value_roi, "payback_year": f.case.payback_year,
            "price_year": self.price_year, "conventions_version": self.conventions_version,
            "unit_cost_edition": self.unit_cost_edition} for f in self.findings]
        return pa.Table.from_pylist(rows)


def savings_report(book: UnitCostBook, conventions: Conventions, config: FindingsConfig,
                   counts: dict[str, tuple[int, str]], price_year: str | None = None
                   ) -> SavingsReport:
    """`counts`: finding name -> (number of entities, where the number came from)."""
    year = financial_year(price_year or conventions.price_year)
    report = SavingsReport(price_year=year, conventions_version=conventions.version,
                           findings_version=config.version, unit_cost_edition=book.edition,
                           deflator=book.deflator.label, attribution=book.attribution)
    for name, (count, source) in counts.items():
        report.findings.append(
            finding_savings(book, conventions, config.by_name(name), count, source, year))
    return report


def finding_savings(book: UnitCostBook, conventions: Conventions, spec: FindingSpec,
                    count: int, source: str, price_year: str) -> FindingSavings:
    if spec.unit_cost:
        cost = rounded(book.uprated(spec.unit_cost, price_year), conventions.unit_value_digits)
        lines, rag, note = _unit_cost_lines(book, conventions, spec, cost, count), cost.rag, ""
        unit_value, unit_public = cost.financial_case, cost.public_value_case
    else:
        published = spec.published
        assert published is not None
        per_entity = book.deflator.uprate(published.total / published.count,
                                          published.price_year, price_year)
        adjust = _adjustments(spec, conventions, conventions.optimism_bias(None))
        lines = _fiscal_lines(spec, {published.agency: per_entity * count}, adjust, False)
        rag, note, unit_value, unit_public = "", published.note, per_entity, per_entity
    case = appraise(lines, _costs(spec, count), conventions)
    fiscal_year0 = [ln.yearly()[0] for ln in lines if ln.kind == "fiscal"]
    cashable = sum(ln.yearly()[0] for ln in lines if ln.kind == "fiscal" and ln.cashable)
    return FindingSavings(
        name=spec.name, label=spec.label, source=source, entity=spec.entity, count=count,
        unit_cost_code=spec.unit_cost, unit_value=unit_value, unit_public_value=unit_public,
        rag=rag, optimism_bias=lines[0].adjustments.optimism_bias if lines else 0.0,
        annual_cost=unit_value * spec.per_entity * count,
        annual_public_value=unit_public * spec.per_entity * count,
        potential_annual_saving=sum(fiscal_year0), cashable_annual=cashable,
        non_cashable_annual=sum(fiscal_year0) - cashable, case=case, note=note)


def rounded(cost: UpratedCost, digits: int | None) -> UpratedCost:
    """Round uprated values as published cases do (Essex: £1,053 x 280, not £1,053.13 x 280)."""
    if digits is None:
        return cost

    def up(value: float | None) -> float | None:
        return None if value is None else round(value, digits)

    return replace(cost, fiscal=up(cost.fiscal), economic=up(cost.economic),
                   social=up(cost.social))


def _adjustments(spec: FindingSpec, conventions: Conventions, optimism_bias: float
                 ) -> Adjustments:
    merged = {**conventions.defaults, **spec.adjustments}
    return Adjustments(deadweight=merged.get("deadweight", 0.0),
                       attribution=merged.get("attribution", 1.0),
                       drop_off=merged.get("drop_off", 0.0), optimism_bias=optimism_bias,
                       years=int(merged.get("years", 1)))


def _unit_cost_lines(book: UnitCostBook, conventions: Conventions, spec: FindingSpec,
                     cost: UpratedCost, count: int) -> list[BenefitLine]:
    adjust = _adjustments(spec, conventions, conventions.optimism_bias(cost.rag))
    quantity = count * spec.per_entity * spec.expected_reduction
    shares = agency_shares(book, cost.code)
    fiscal = {agency: share * cost.financial_case * count * spec.per_entity
              for agency, share in shares.items()}
    lines = _fiscal_lines(spec, fiscal, adjust, cost.transfer_payment)
    health = book.get(cost.code).outcome_category.upper() in conventions.health_categories
    for kind, value in (("economic", cost.economic), ("social", cost.social)):
        if value:
            lines.append(BenefitLine(name=f"{spec.name} {kind}", agency="Society", kind=kind,  # type: ignore[arg-type]
                                     annual=value * quantity, adjustments=adjust,
                                     health=health and kind == "social"))
    return lines


def _fiscal_lines(spec: FindingSpec, by_agency: dict[str, float], adjust: Adjustments,
                  transfer: bool) -> list[BenefitLine]:
    """Fiscal value by agency, split into cashable and non-cashable lines."""
    lines = []
    for agency, annual_cost in by_agency.items():
        gross = annual_cost * spec.expected_reduction
        for cashable, share in ((True, spec.cashable_share), (False, 1 - spec.cashable_share)):
            if share > 0:
                lines.append(BenefitLine(
                    name=f"{spec.name} fiscal", agency=agency, kind="fiscal",
                    annual=gross * share, adjustments=adjust, cashable=cashable,
                    transfer_payment=transfer))
    return lines


def agency_shares(book: UnitCostBook, code: str) -> dict[str, float]:
    """Who makes the fiscal saving: a 'Multiple' headline is split by its constituents' values."""
    row = book.get(code)
    parts = [c for c in book.constituents(code)
             if c.parent_code == row.code and c.fiscal and c.fiscal.amount > 0]
    total = sum(c.fiscal.amount for c in parts if c.fiscal)
    if not parts or not total:
        return {row.agency or "Unknown": 1.0}
    shares: dict[str, float] = {}
    for part in parts:
        assert part.fiscal is not None
        name = part.agency_detail or part.agency or "Unknown"
        shares[name] = shares.get(name, 0.0) + part.fiscal.amount / total
    return shares


def _costs(spec: FindingSpec, count: int) -> list[CostLine]:
    return [CostLine(agency=agency, by_year=tuple(v * count for v in per_entity))
            for agency, per_entity in spec.investment]
