"""Retention: records older than their period leave every zone and every derived table.

The period is the dataset's `retention_days` (from its feed spec), else the shortest period of
the Tier 2 agreements sharing it. A record's age is its `event_date`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import select

from odahub.catalog.base import utcnow
from odahub.catalog.tables.core import Dataset
from odahub.catalog.tables.governance import Agreement, AgreementGrant
from odahub.governance import audit
from odahub.governance.purge import Targets, remove
from odahub.hub import Hub
from odahub.lake import turns


@dataclass
class RetentionResult:
    run: str
    periods: dict[str, int] = field(default_factory=dict)
    expired: dict[str, int] = field(default_factory=dict)
    persons_removed: int = 0
    removals: list[dict[str, object]] = field(default_factory=list)


def periods(hub: Hub) -> dict[str, int]:
    """dataset -> retention days, for every dataset that has a period."""
    with hub.catalog.session() as session:
        by_agreement = session.execute(select(AgreementGrant.dataset, Agreement.retention_days)
                                       .join(Agreement).where(Agreement.tier == 2,
                                       Agreement.retention_days.is_not(None))).tuples().all()
        by_dataset = session.execute(select(Dataset.name, Dataset.retention_days).where(
            Dataset.retention_days.is_not(None))).tuples().all()
    found: dict[str, int] = {}
    for dataset, days in by_agreement:
        if days is not None:
            found[dataset] = min(days, found.get(dataset, days))
    found.update({name: days for name, days in by_dataset if days is not None})
    return found


def record_keys(hub: Hub, dataset: str, record_ids: set[str]) -> tuple[
        set[tuple[str, int]], set[str]]:
    """Quarantine positions (source_file, source_row) and landing files of records."""
    latest = hub.lake.latest("identified", dataset)
    if latest is None or not record_ids:
        return set(), set()
    table = hub.lake.read_table(latest)
    if "source_file" not in table.column_names:
        return set(), set()
    mask = pc.is_in(pc.cast(table["record_id"], pa.string()),
                    value_set=pa.array(sorted(record_ids), pa.string()))
    rows = table.filter(mask).select(["source_file", "source_row"]).to_pylist()
    positions = {(str(r["source_file"]), int(r["source_row"])) for r in rows
                 if r["source_row"] is not None}
    return positions, {str(r["source_file"]) for r in rows}


def orphaned_persons(hub: Hub, records: dict[str, set[str]]) -> set[str]:
    """Persons all of whose linked records are going."""
    latest = hub.lake.latest("linked", "links")
    if latest is None:
        return set()
    links = hub.lake.read_table(latest, ["dataset", "record_id", "person_id"])
    doomed = pa.array([False] * links.num_rows)
    for dataset, ids in records.items():
        doomed = pc.or_(doomed, pc.and_(
            pc.equal(links["dataset"], dataset),
            pc.is_in(pc.cast(links["record_id"], pa.string()),
                     value_set=pa.array(sorted(ids), pa.string()))))
    gone = set(links.filter(doomed)["person_id"].to_pylist())
    kept = set(links.filter(pc.invert(doomed))["person_id"].to_pylist())
    return {str(p) for p in gone - kept if p is not None}


def expand(hub: Hub, targets: Targets) -> Targets:
    """Add quarantine positions, landing files and orphaned persons to record targets."""
    for dataset, ids in targets.records.items():
        positions, files = record_keys(hub, dataset, ids)
        targets.source_rows.setdefault(dataset, set()).update(positions)
        targets.landing_files.setdefault(dataset, set()).update(files)
    targets.persons |= orphaned_persons(hub, targets.records)
    return targets


def expired_records(hub: Hub, dataset: str, cutoff: date) -> set[str]:
    latest = hub.lake.latest("identified", dataset) or hub.lake.latest("pseudonymised", dataset)
    if latest is None:
        return set()
    table = hub.lake.read_table(latest)
    if "event_date" not in table.column_names:
        return set()
    dates = pc.cast(table["event_date"], pa.date32())
    mask = pc.fill_null(pc.less(dates, pa.scalar(cutoff, pa.date32())), False)
    return {str(v) for v in table.filter(mask)["record_id"].to_pylist()}


@turns.purge_run("retention")
def apply(hub: Hub, *, on: date | None = None, actor: str = "retention") -> RetentionResult:
    """Remove every expired record from every zone; audit and record what went."""
    on = on or utcnow().date()
    found = periods(hub)
    records = {dataset: expired_records(hub, dataset, on - timedelta(days=days))
               for dataset, days in found.items()}
    records = {dataset: ids for dataset, ids in records.items() if ids}
    targets = expand(hub, Targets(records=records))
    run = f"retention-{utcnow():%Y%m%dT%H%M%S%f}"
    removals = remove(hub, targets, reason="retention", run=run) if records else []
    result = RetentionResult(run, found, {d: len(ids) for d, ids in records.items()},
                             len(targets.persons), removals)
    audit.record(hub.catalog, actor=actor, action="retention.apply", outcome="done",
                 details={"run": run, "on": on, "expired": result.expired,
                          "persons_removed": result.persons_removed,
                          "tables": [f"{r['zone']}/{r['name']}" for r in removals]})
    return result
