"""Portfolio: a reserve, the bids it funds, spend by financial year, balances, proposed changes."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from odahub.benefits.conventions import DATA
from odahub.benefits.years import financial_year
from odahub.errors import ProblemCollector, SpecError

SAMPLE = "essex-otr-2020.yaml"
BENEFITS_UPDATE_FIELDS = ("area_benefiting", "delivered_as_expected", "input_funded",
                          "further_roll_out")


@dataclass(frozen=True)
class SpendLine:
    financial_year: str
    kind: str  # actual | forecast
    amount: float


@dataclass
class BidSpec:
    reference: str
    title: str
    lead: str = ""
    approval_body: str = ""
    approval_date: date | None = None
    status: str = "approved"  # proposed | approved | cancelled | closed
    priorities: list[int] = field(default_factory=list)
    scores: dict[str, float] = field(default_factory=dict)
    spend: list[SpendLine] = field(default_factory=list)
    benefits_update: dict[str, Any] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return sum(line.amount for line in self.spend)

    @property
    def score(self) -> float:
        return sum(self.scores.values())


@dataclass(frozen=True)
class Change:
    bid: str
    kind: str  # return | allocate
    amount: float
    description: str = ""
    status: str = "proposed"


@dataclass
class PortfolioSpec:
    name: str
    amount: float
    report_date: date | None
    description: str
    plan_priorities: dict[int, str]
    criteria: list[str]
    bids: list[BidSpec]
    changes: list[Change]


@dataclass
class PortfolioSummary:
    """What the monitoring appendix shows; plain data for the CLI, exports and web pages."""

    reserve: str
    amount: float
    spend_by_year: list[dict[str, Any]]
    total_required: float
    unallocated: float
    after_changes: list[dict[str, Any]]
    bids: list[dict[str, Any]]
    priorities: dict[int, dict[str, Any]]

    @property
    def final_balance(self) -> float:
        return self.after_changes[-1]["balance"] if self.after_changes else self.unallocated

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "final_balance": self.final_balance}


def summarise(spec: PortfolioSpec) -> PortfolioSummary:
    live = [bid for bid in spec.bids if bid.status != "cancelled"]
    years = sorted({line.financial_year for bid in live for line in bid.spend})
    balance, by_year = spec.amount, []
    for year in years:
        lines = [ln for bid in live for ln in bid.spend if ln.financial_year == year]
        actual = sum(ln.amount for ln in lines if ln.kind == "actual")
        forecast = sum(ln.amount for ln in lines if ln.kind == "forecast")
        balance -= actual + forecast
        by_year.append({"financial_year": year, "actual": actual, "forecast": forecast,
                        "spend": actual + forecast, "balance": balance})
    unallocated, after = balance, []
    for change in spec.changes:
        balance += change.amount if change.kind == "return" else -change.amount
        after.append({**asdict(change), "balance": balance})
    return PortfolioSummary(
        reserve=spec.name, amount=spec.amount, spend_by_year=by_year,
        total_required=spec.amount - unallocated, unallocated=unallocated, after_changes=after,
        bids=[_bid_row(bid) for bid in spec.bids], priorities=_priorities(spec, live))


def _bid_row(bid: BidSpec) -> dict[str, Any]:
    row = asdict(bid)
    row["spend"] = {f"{ln.financial_year} {ln.kind}": ln.amount for ln in bid.spend}
    return {**row, "total": bid.total, "score": bid.score}


def _priorities(spec: PortfolioSpec, live: list[BidSpec]) -> dict[int, dict[str, Any]]:
    """Bids and money against each Police and Crime Plan priority."""
    return {number: {"priority": label,
                     "bids": [b.reference for b in live if number in b.priorities],
                     "spend": sum(b.total for b in live if number in b.priorities)}
            for number, label in spec.plan_priorities.items()}


def sample_portfolio() -> Path:
    return Path(str(DATA / SAMPLE))


def load_portfolio(path: Path | None = None) -> PortfolioSpec:
    path = path or sample_portfolio()
    try:
        raw = yaml.safe_load(path.read_text())
        return parse_portfolio(raw, str(path))
    except yaml.YAMLError as error:
        raise SpecError(f"{path}: not valid YAML ({error})") from error


def parse_portfolio(raw: dict[str, Any], where: str = "portfolio") -> PortfolioSpec:
    problems = ProblemCollector()
    reserve = raw.get("reserve") or {}
    if "name" not in reserve or "amount" not in reserve:
        problems.add("reserve needs a name and an amount", file=where)
    priorities = {int(k): str(v) for k, v in (raw.get("plan_priorities") or {}).items()}
    bids = [_bid(item, n, priorities, problems, where)
            for n, item in enumerate(raw.get("bids") or [], start=1)]
    references = {bid.reference for bid in bids}
    changes = []
    for n, item in enumerate(raw.get("proposed_changes") or [], start=1):
        if item.get("bid") not in references or item.get("kind") not in ("return", "allocate"):
            problems.add(f"change needs a known bid and kind return|allocate: {item}",
                         file=where, row=n)
            continue
        changes.append(Change(bid=item["bid"], kind=item["kind"], amount=float(item["amount"]),
                              description=item.get("description", ""),
                              status=item.get("status", "proposed")))
    problems.raise_if_any(SpecError, f"{where}: the portfolio is invalid")
    return PortfolioSpec(name=reserve["name"], amount=float(reserve["amount"]),
                         report_date=reserve.get("report_date"),
                         description=reserve.get("description", ""), plan_priorities=priorities,
                         criteria=list(raw.get("criteria") or []), bids=bids, changes=changes)


def _bid(item: dict[str, Any], n: int, priorities: dict[int, str], problems: ProblemCollector,
         where: str) -> BidSpec:
    unknown = [p for p in item.get("priorities", []) if priorities and p not in priorities]
    if unknown:
        problems.add(f"bid {item.get('reference')}: unknown plan priorities {unknown}",
                     file=where, row=n)
    spend = []
    for line in item.get("spend", []):
        for kind in ("actual", "forecast"):
            if kind in line:
                spend.append(SpendLine(financial_year(line["year"]), kind, float(line[kind])))
    missing = [f for f in BENEFITS_UPDATE_FIELDS if f not in item.get("benefits_update", {})]
    if item.get("benefits_update") and missing:
        problems.add(f"bid {item.get('reference')}: benefits update lacks {missing}",
                     file=where, row=n)
    return BidSpec(
        reference=str(item.get("reference", f"BID-{n}")), title=str(item.get("title", "")),
        lead=item.get("lead", ""), approval_body=item.get("approval_body", ""),
        approval_date=item.get("approval_date"), status=item.get("status", "approved"),
        priorities=list(item.get("priorities", [])),
        scores={k: float(v) for k, v in (item.get("scores") or {}).items()}, spend=spend,
        benefits_update=dict(item.get("benefits_update") or {}))
