"""Benefits tracker: each benefit's owner, measure, baseline, target and actuals by period."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from odahub.benefits.conventions import Conventions
from odahub.catalog.tables.benefits import BenefitActual, TrackedBenefit
from odahub.errors import NotFound, SpecError
from odahub.hub import Hub

KINDS = ("cashable", "efficiency", "non_cashable")
PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2]|Q[1-4])$")


@dataclass
class Benefit:
    name: str
    owner: str
    measure: str
    kind: str
    baseline: float
    target: float
    frequency: str = "monthly"
    unit: str = ""
    higher_is_better: bool = True
    bid_reference: str | None = None
    actuals: dict[str, float] = field(default_factory=dict)

    def quarterly(self) -> dict[str, float]:
        """Monthly actuals summed into calendar quarters (2020-04..06 -> 2020-Q2)."""
        quarters: dict[str, float] = {}
        for period, value in sorted(self.actuals.items()):
            key = period if "Q" in period else f"{period[:4]}-Q{(int(period[5:]) - 1) // 3 + 1}"
            quarters[key] = quarters.get(key, 0.0) + value
        return quarters

    def progress(self) -> float | None:
        """Share of the way from baseline to target reached by the latest actual."""
        if not self.actuals or self.target == self.baseline:
            return None
        latest = self.actuals[max(self.actuals)]
        return (latest - self.baseline) / (self.target - self.baseline)

    def view(self, conventions: Conventions) -> dict[str, Any]:
        progress = self.progress()
        status = ("No data" if progress is None
                  else conventions.rag_of("benefit_progress", progress))
        return {"name": self.name, "owner": self.owner, "measure": self.measure,
                "kind": self.kind, "cashable": self.kind == "cashable", "unit": self.unit,
                "baseline": self.baseline, "target": self.target, "frequency": self.frequency,
                "bid_reference": self.bid_reference, "actuals": dict(sorted(self.actuals.items())),
                "quarterly": self.quarterly(), "progress": progress, "status": status}


def save_benefit(hub: Hub, benefit: Benefit) -> None:
    if benefit.kind not in KINDS:
        raise SpecError(f"a benefit is one of {', '.join(KINDS)}, not {benefit.kind!r}")
    bad = [p for p in benefit.actuals if not PERIOD.match(p)]
    if bad:
        raise SpecError(f"periods are months (2020-05) or quarters (2020-Q2), not {bad}")
    with hub.catalog.session() as session:
        row = session.scalar(select(TrackedBenefit).where(TrackedBenefit.name == benefit.name))
        if row is None:
            row = TrackedBenefit(name=benefit.name, owner=benefit.owner, measure=benefit.measure,
                                 kind=benefit.kind, target=benefit.target)
            session.add(row)
        for name in ("owner", "measure", "kind", "baseline", "target", "frequency", "unit",
                     "higher_is_better", "bid_reference"):
            setattr(row, name, getattr(benefit, name))
        known = {a.period: a for a in row.actuals}
        for period, value in benefit.actuals.items():
            if period in known:
                known[period].value = value
            else:
                row.actuals.append(BenefitActual(period=period, value=value))


def record_actual(hub: Hub, name: str, period: str, value: float) -> None:
    benefit = next((b for b in read_benefits(hub) if b.name == name), None)
    if benefit is None:
        raise NotFound(f"no tracked benefit {name!r}")
    benefit.actuals[period] = value
    save_benefit(hub, benefit)


def read_benefits(hub: Hub) -> list[Benefit]:
    with hub.catalog.session() as session:
        rows = session.scalars(select(TrackedBenefit).options(
            selectinload(TrackedBenefit.actuals)).order_by(TrackedBenefit.name))
        return [Benefit(name=r.name, owner=r.owner, measure=r.measure, kind=r.kind,
                        baseline=r.baseline, target=r.target, frequency=r.frequency,
                        unit=r.unit, higher_is_better=r.higher_is_better,
                        bid_reference=r.bid_reference,
                        actuals={a.period: a.value for a in r.actuals}) for r in rows]


def benefits_from_yaml(items: list[dict[str, Any]]) -> list[Benefit]:
    return [Benefit(**{k: v for k, v in item.items() if k in Benefit.__dataclass_fields__})
            for item in items]
