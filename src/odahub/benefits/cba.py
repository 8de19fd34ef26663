"""Cost-benefit arithmetic: adjusted multi-year benefit profiles, discounting, NPV, ROI, payback.

Conventions (discount rates, optimism bias by confidence grade) come from `Conventions`; nothing
here is a policy constant.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

from odahub.benefits.conventions import Conventions
from odahub.errors import SpecError

ValueKind = Literal["fiscal", "economic", "social"]


@dataclass(frozen=True)
class Adjustments:
    """How much of a gross outcome value the intervention can claim, and for how long."""

    deadweight: float = 0.0    # would have happened anyway
    attribution: float = 1.0   # share due to this intervention (others contribute the rest)
    drop_off: float = 0.0      # share of the effect lost each year after the first
    optimism_bias: float = 0.0  # reduction for over-optimistic estimates (by confidence grade)
    years: int = 1

    def __post_init__(self) -> None:
        for name in ("deadweight", "attribution", "drop_off", "optimism_bias"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise SpecError(f"{name} must be between 0 and 1, not {getattr(self, name)}")
        if not 1 <= self.years <= 76:
            raise SpecError(f"a benefit profile lasts 1 to 76 years, not {self.years}")

    @property
    def net_share(self) -> float:
        return (1 - self.deadweight) * self.attribution * (1 - self.optimism_bias)

    def profile(self, annual: float) -> list[float]:
        """Year 0 .. years-1: the net annual benefit, decaying by the drop-off after year 0."""
        first = annual * self.net_share
        return [first * (1 - self.drop_off) ** year for year in range(self.years)]


@dataclass(frozen=True)
class BenefitLine:
    """One stream of value: who gains it, which kind of value, cashable or not."""

    name: str
    agency: str
    kind: ValueKind
    annual: float  # gross annual value before adjustments
    adjustments: Adjustments
    cashable: bool = False
    health: bool = False        # health values are discounted at the lower Green Book rate
    transfer_payment: bool = False

    def yearly(self) -> list[float]:
        return self.adjustments.profile(self.annual)


@dataclass(frozen=True)
class CostLine:
    """Investment by one agency, by year (year 0 first)."""

    agency: str
    by_year: tuple[float, ...]


@dataclass
class CaseResult:
    """The financial case (fiscal) and the public-value case (fiscal net of transfers + economic
    + social), present values in the report's price year."""

    pv_costs: float
    pv_fiscal: float
    pv_cashable: float
    pv_non_cashable: float
    pv_public_value: float
    financial_npv: float
    public_value_npv: float
    financial_roi: float | None
    public_value_roi: float | None
    payback_year: int | None
    by_agency: dict[str, dict[str, float]] = field(default_factory=dict)
    yearly: list[dict[str, float]] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def present_value(values: list[float] | tuple[float, ...], conventions: Conventions,
                  health: bool = False) -> float:
    return sum(v * conventions.discount_factor(t, health) for t, v in enumerate(values))


def appraise(benefits: list[BenefitLine], costs: list[CostLine], conventions: Conventions
             ) -> CaseResult:
    horizon = max([b.adjustments.years for b in benefits] + [len(c.by_year) for c in costs] + [1])
    yearly = [_year(t, benefits, costs, conventions) for t in range(horizon)]
    pv_costs = sum(y["pv_costs"] for y in yearly)
    pv_fiscal = sum(y["pv_fiscal"] for y in yearly)
    pv_public = sum(y["pv_public_value"] for y in yearly)
    pv_cashable = sum(y["pv_cashable"] for y in yearly)
    return CaseResult(
        pv_costs=pv_costs, pv_fiscal=pv_fiscal, pv_cashable=pv_cashable,
        pv_non_cashable=pv_fiscal - pv_cashable, pv_public_value=pv_public,
        financial_npv=pv_fiscal - pv_costs, public_value_npv=pv_public - pv_costs,
        financial_roi=pv_fiscal / pv_costs if pv_costs else None,
        public_value_roi=pv_public / pv_costs if pv_costs else None,
        payback_year=_payback(yearly), by_agency=_by_agency(benefits, costs, conventions),
        yearly=yearly)


def _discounted(line: BenefitLine, year: int, conventions: Conventions) -> float:
    values = line.yearly()
    if year >= len(values):
        return 0.0
    return values[year] * conventions.discount_factor(year, line.health)


def _year(t: int, benefits: list[BenefitLine], costs: list[CostLine], conventions: Conventions
          ) -> dict[str, float]:
    fiscal = [b for b in benefits if b.kind == "fiscal"]
    pv_costs = sum(c.by_year[t] * conventions.discount_factor(t)
                   for c in costs if t < len(c.by_year))
    return {
        "year": t,
        "pv_costs": pv_costs,
        "pv_fiscal": sum(_discounted(b, t, conventions) for b in fiscal),
        "pv_cashable": sum(_discounted(b, t, conventions) for b in fiscal if b.cashable),
        "pv_public_value": sum(_discounted(b, t, conventions) for b in benefits
                               if not (b.kind == "fiscal" and b.transfer_payment)),
    }


def _payback(yearly: list[dict[str, float]]) -> int | None:
    """First year in which cumulative discounted fiscal benefits cover cumulative costs."""
    benefit = cost = 0.0
    for year in yearly:
        benefit += year["pv_fiscal"]
        cost += year["pv_costs"]
        if cost > 0 and benefit >= cost:
            return int(year["year"])
    return None


def _by_agency(benefits: list[BenefitLine], costs: list[CostLine], conventions: Conventions
               ) -> dict[str, dict[str, float]]:
    """Who invests and who benefits (fiscal), in present values."""
    table: dict[str, dict[str, float]] = {}
    for cost in costs:
        entry = table.setdefault(cost.agency, {"invests": 0.0, "benefits": 0.0})
        entry["invests"] += present_value(cost.by_year, conventions)
    for line in benefits:
        if line.kind == "fiscal":
            entry = table.setdefault(line.agency, {"invests": 0.0, "benefits": 0.0})
            entry["benefits"] += present_value(line.yearly(), conventions, line.health)
    return table
