"""Savings for the risk lists the analytics stage wrote (`marts/risk_<model>`, read by name)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from odahub.benefits.conventions import Conventions
from odahub.benefits.findings import FindingsConfig, FindingSpec
from odahub.benefits.savings import SavingsReport, savings_report
from odahub.benefits.unitcosts import UnitCostBook
from odahub.hub import Hub

REPORT_TABLE = "benefits_savings"


@dataclass
class MartsSavings:
    report: SavingsReport
    used: dict[str, str] = field(default_factory=dict)   # risk list -> finding
    skipped: dict[str, str] = field(default_factory=dict)  # risk list -> why


def count_entities(table: pa.Table, spec: FindingSpec) -> int:
    """Entities a risk or area list puts forward: the top `select_top` by rank (or score), else
    every row; with a `count` column (an area list), the sum of its counts over those rows."""
    if spec.select_top is not None and table.num_rows > spec.select_top:
        if "rank" in table.column_names:
            table = table.filter(pc.less_equal(table.column("rank"), spec.select_top))
        elif "score" in table.column_names:
            order = pc.sort_indices(table, sort_keys=[("score", "descending")])
            table = table.take(order[: spec.select_top])  # top by score
        else:
            table = table.slice(0, spec.select_top)
    if "count" in table.column_names:
        return int(pc.sum(table.column("count")).as_py() or 0)
    return int(table.num_rows)


def risk_lists(hub: Hub) -> list[str]:
    return [name for name in hub.lake.tables("marts") if name.startswith("risk_")]


def savings_from_marts(hub: Hub, book: UnitCostBook, conventions: Conventions,
                       config: FindingsConfig, price_year: str | None = None) -> MartsSavings:
    counts: dict[str, tuple[int, str]] = {}
    used, skipped = {}, {}
    for name in risk_lists(hub):
        spec = config.for_table(name)
        if spec is None:
            skipped[name] = "no finding in findings.yaml matches this risk list"
            continue
        if spec.name in counts:
            skipped[name] = f"finding {spec.name} already counted from {counts[spec.name][1]}"
            continue
        table = hub.lake.read_latest("marts", name)
        counts[spec.name] = (count_entities(table, spec), f"marts/{name}")
        used[name] = spec.name
    report = savings_report(book, conventions, config, counts, price_year)
    return MartsSavings(report=report, used=used, skipped=skipped)


def write_report(hub: Hub, report: SavingsReport) -> int:
    """Store the report as `marts/benefits_savings` for dashboards and the web app."""
    with hub.lake.new_version("marts", REPORT_TABLE, created_by="benefits",
                              details={"price_year": report.price_year,
                                       "conventions": report.conventions_version}) as writer:
        writer.write_table(report.to_table())
    return int(writer.stats["version"])
