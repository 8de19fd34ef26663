"""Interventions recorded for persons or households, and evaluating them from the lake."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Literal

import pyarrow as pa
from sqlalchemy import select

from odahub.catalog.tables.benefits import Intervention
from odahub.catalog.tables.core import Dataset
from odahub.errors import AccessDenied, SpecError
from odahub.hub import Hub

if TYPE_CHECKING:
    from odahub.governance import Principal

SubjectKind = Literal["person", "household"]
COMPLIANCE = ("pending", "compliant", "breached", "escalated", "completed")


@dataclass
class InterventionRecord:
    programme: str
    agency: str
    subject_kind: SubjectKind
    subject_id: str
    start_date: date
    end_date: date | None = None
    conditions: list[str] = field(default_factory=list)
    compliance: str = "pending"
    status: str = "active"
    notes: str = ""
    id: int | None = None


def record_intervention(hub: Hub, record: InterventionRecord, actor: str | None = None) -> int:
    """Record one intervention (e.g. a conditional pre-trial diversion with its conditions)."""
    if record.subject_kind not in ("person", "household"):
        raise SpecError("an intervention is for a person or a household")
    if record.compliance not in COMPLIANCE:
        raise SpecError(f"compliance must be one of {', '.join(COMPLIANCE)}")
    if record.end_date and record.end_date < record.start_date:
        raise SpecError("an intervention cannot end before it starts")
    with hub.catalog.session() as session:
        row = Intervention(**{k: v for k, v in asdict(record).items() if k != "id"},
                           created_by=actor)
        session.add(row)
        session.flush()
        return row.id


def update_compliance(hub: Hub, intervention_id: int, compliance: str, note: str = "") -> None:
    if compliance not in COMPLIANCE:
        raise SpecError(f"compliance must be one of {', '.join(COMPLIANCE)}")
    with hub.catalog.session() as session:
        row = session.get(Intervention, intervention_id)
        if row is None:
            raise SpecError(f"no intervention {intervention_id}")
        row.compliance = compliance
        row.notes = "\n".join(filter(None, [row.notes, note]))


def interventions(hub: Hub, programme: str | None = None) -> list[InterventionRecord]:
    with hub.catalog.session() as session:
        query = select(Intervention).order_by(Intervention.start_date, Intervention.id)
        if programme is not None:
            query = query.where(Intervention.programme == programme)
        return [InterventionRecord(
            programme=r.programme, agency=r.agency,
            subject_kind=r.subject_kind,  # type: ignore[arg-type]
            subject_id=r.subject_id, start_date=r.start_date, end_date=r.end_date,
            conditions=list(r.conditions), compliance=r.compliance, status=r.status,
            notes=r.notes, id=r.id) for r in session.scalars(query)]


def lake_tables(hub: Hub, unit: SubjectKind = "person", programme: str | None = None,
                principal: Principal | None = None) -> tuple[pa.Table, pa.Table, pa.Table]:
    """(events, interventions, units) from pseudonymised events joined to linked/links.

    Interventions are the recorded ones plus `intervention` events in the feeds. A principal,
    when given, must be authorised for each dataset (denied datasets are left out); the
    pipeline's own step passes none.
    """
    key = f"{unit}_id"
    links = hub.lake.read_latest("linked", "links", columns=["dataset", "record_id", key])
    parts = [_dataset_events(hub, name, principal) for name in hub.lake.tables("pseudonymised")]
    frames = [p for p in parts if p is not None]
    if not frames:
        raise SpecError("no pseudonymised events with an event_date in the lake yet")
    hub.engine.register("benefits_links", links)
    hub.engine.register("benefits_events", pa.concat_tables(frames, promote_options="default"))
    try:
        events = hub.engine.sql(
            f"SELECT l.{key} AS unit_id, e.event_type, CAST(e.event_date AS DATE) AS event_date,"
            " e.programme FROM benefits_events e JOIN benefits_links l"
            " ON l.dataset = e.dataset AND CAST(l.record_id AS VARCHAR) = e.record_id")
    finally:
        hub.engine.unregister("benefits_links")
        hub.engine.unregister("benefits_events")
    return _split(hub, events, unit, programme, links.select([key]))


def _split(hub: Hub, events: pa.Table, unit: SubjectKind, programme: str | None,
           units: pa.Table) -> tuple[pa.Table, pa.Table, pa.Table]:
    import pyarrow.compute as pc

    is_iv = pc.equal(events.column("event_type"), "intervention")
    if programme is not None:
        is_iv = pc.and_(is_iv, pc.equal(events.column("programme"), programme))
    from_feeds = events.filter(is_iv).select(["unit_id", "event_date"])
    recorded = [r for r in interventions(hub, programme) if r.subject_kind == unit]
    starts = pa.table({"unit_id": [r.subject_id for r in recorded] + from_feeds.column(
        "unit_id").to_pylist(), "start_date": [r.start_date for r in recorded] + from_feeds.column(
        "event_date").to_pylist()})
    return (events.select(["unit_id", "event_type", "event_date"]), starts,
            units.rename_columns(["unit_id"]))


def _dataset_events(hub: Hub, name: str, principal: Principal | None) -> pa.Table | None:
    if principal is not None:
        from odahub.governance import policy

        try:
            policy.authorise(hub.catalog, principal, name, "pseudonymised",
                             action="benefits.evaluate")
        except AccessDenied:
            return None
    version = hub.lake.require_latest("pseudonymised", name)
    available = _schema(hub, name)
    if "event_date" not in available or "record_id" not in available:
        return None
    wanted: list[str] = [c for c in ("dataset", "record_id", "event_date", "event_type",
                                     "programme") if c in available]
    table = hub.lake.read_table(version, columns=wanted)
    if "event_type" not in wanted:
        table = table.append_column("event_type", pa.array([_spec_type(hub, name)] * len(table),
                                                            pa.string()))
    if "programme" not in wanted:
        table = table.append_column("programme", pa.nulls(len(table), pa.string()))
    if "dataset" not in wanted:
        table = table.append_column("dataset", pa.array([name] * len(table), pa.string()))
    return table.select(["dataset", "record_id", "event_date", "event_type", "programme"]).cast(
        pa.schema([("dataset", pa.string()), ("record_id", pa.string()),
                   ("event_date", pa.date32()), ("event_type", pa.string()),
                   ("programme", pa.string())]))


def _schema(hub: Hub, name: str) -> set[str]:
    import pyarrow.parquet as pq

    files = hub.lake.files_of(hub.lake.require_latest("pseudonymised", name))
    return set(pq.read_schema(files[0]).names) if files else set()


def _spec_type(hub: Hub, name: str) -> str | None:
    with hub.catalog.session() as session:
        spec = session.scalar(select(Dataset.spec).where(Dataset.name == name))
    return (spec or {}).get("event_type")
