"""Data-subject rights: access, rectification, erasure, restriction, objection — each a tracked
request with its one-month deadline, acting on every zone through the lake's key columns."""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import select

from odahub.catalog import Catalog
from odahub.catalog.base import utcnow
from odahub.catalog.tables.core import Dataset, Partner
from odahub.catalog.tables.governance import AuditEntry, Restriction, RightsRequest
from odahub.errors import NotFound, SpecError
from odahub.governance import audit
from odahub.governance.purge import Targets, remove
from odahub.governance.retention import expand
from odahub.hub import Hub
from odahub.lake import turns
from odahub.model import load_model

KINDS = ("access", "rectification", "erasure", "restriction", "objection")


def one_month_after(day: date) -> date:
    """The same day next month, or the month's last day (UK GDPR's one calendar month)."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def open_request(catalog: Catalog, kind: str, *, requested_by: str, person_id: str | None = None,
                 records: list[tuple[str, str]] = (), partner: str | None = None,  # type: ignore[assignment]
                 received_on: date | None = None, notes: str = "") -> int:
    if kind not in KINDS:
        raise SpecError(f"unknown request kind {kind!r}; kinds are {', '.join(KINDS)}")
    if not person_id and not records:
        raise SpecError("name the subject: a person id or (dataset, record id) pairs")
    received = received_on or utcnow().date()
    with catalog.session() as session:
        row = RightsRequest(kind=kind, person_id=person_id, records=[list(r) for r in records],
                            partner=partner, received_on=received,
                            due_on=one_month_after(received), requested_by=requested_by,
                            notes=notes)
        session.add(row)
        session.flush()
        request_id = row.id
    audit.record(catalog, actor=requested_by, action=f"rights.{kind}.open",
                 subjects=[person_id] if person_id else (), details={"request": request_id})
    return request_id


def get(catalog: Catalog, request_id: int) -> RightsRequest:
    with catalog.session() as session:
        row = session.get(RightsRequest, request_id)
        if row is None:
            raise NotFound(f"no rights request {request_id}")
        return row


def list_requests(catalog: Catalog, status: str | None = None,
                  on: date | None = None) -> list[dict[str, Any]]:
    on = on or utcnow().date()
    query = select(RightsRequest).order_by(RightsRequest.due_on)
    if status:
        query = query.where(RightsRequest.status == status)
    with catalog.session() as session:
        return [{"id": r.id, "kind": r.kind, "person_id": r.person_id, "status": r.status,
                 "received_on": r.received_on, "due_on": r.due_on,
                 "overdue": r.status == "open" and on > r.due_on,
                 "requested_by": r.requested_by} for r in session.scalars(query)]


def close(catalog: Catalog, request_id: int, *, actor: str, status: str = "done",
          result: dict[str, Any] | None = None) -> None:
    with catalog.session() as session:
        row = session.get(RightsRequest, request_id)
        if row is None:
            raise NotFound(f"no rights request {request_id}")
        row.status, row.closed_at = status, utcnow()
        row.result = {**row.result, **(result or {})}
        kind = row.kind
    audit.record(catalog, actor=actor, action=f"rights.{kind}.{status}", outcome="done",
                 details={"request": request_id, **(result or {})})


def subject_records(hub: Hub, request: RightsRequest) -> dict[str, set[str]]:
    """dataset -> record ids of the subject: named records plus everything linked to the person."""
    found: dict[str, set[str]] = {}
    for dataset, record_id in request.records:
        found.setdefault(dataset, set()).add(str(record_id))
    latest = hub.lake.latest("linked", "links")
    if request.person_id and latest is not None:
        links = hub.lake.read_table(latest, ["dataset", "record_id", "person_id"])
        mine = links.filter(pc.equal(links["person_id"], request.person_id))
        for row in mine.to_pylist():
            found.setdefault(str(row["dataset"]), set()).add(str(row["record_id"]))
    return found


def _rows(hub: Hub, zone: str, dataset: str, ids: set[str]) -> pa.Table | None:
    latest = hub.lake.latest(zone, dataset)
    if latest is None:
        return None
    table = hub.lake.read_table(latest)
    mask = pc.is_in(pc.cast(table["record_id"], pa.string()),
                    value_set=pa.array(sorted(ids), pa.string()))
    return table.filter(mask)


def subject_access(hub: Hub, request_id: int, actor: str) -> dict[str, Any]:
    """Everything about the subject, one part per controller; free text comes redacted (from
    the pseudonymised zone), so third parties named in notes are not disclosed."""
    request = get(hub.catalog, request_id)
    records = subject_records(hub, request)
    with hub.catalog.session() as session:
        owners = dict(session.execute(select(Dataset.name, Partner.code).join(Partner)
                                      ).tuples().all())
    text_columns = [n for n, r in load_model().roles.items() if r.kind == "text"]
    parts: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for dataset, ids in sorted(records.items()):
        rows = _rows(hub, "identified", dataset, ids)
        if rows is None:
            continue
        redacted = _rows(hub, "pseudonymised", dataset, ids)
        free = {c for c in text_columns if c in rows.column_names}
        safe = {} if redacted is None else {
            r["record_id"]: r for r in redacted.select(
                ["record_id", *sorted(free & set(redacted.column_names))]).to_pylist()}
        listed = [{k: (safe.get(row["record_id"], {}).get(k) if k in free else v)
                   for k, v in row.items() if not k.startswith("_")} for row in rows.to_pylist()]
        parts.setdefault(owners.get(dataset, "unknown"), {})[dataset] = listed
    report = {"request": request_id, "person_id": request.person_id,
              "generated_at": utcnow().isoformat(timespec="seconds"), "controllers": parts,
              "accesses": _accesses(hub.catalog, request.person_id)}
    close(hub.catalog, request_id, actor=actor, result={
        "records": sum(len(v) for v in records.values())})
    return report


def _accesses(catalog: Catalog, person_id: str | None) -> list[dict[str, Any]]:
    if not person_id:
        return []
    return [{"at": e["at"], "by": e["actor"], "purpose": e["purpose"], "dataset": e["dataset"]}
            for e in audit.entries(catalog, limit=100_000)
            if person_id in (e.get("subjects") or []) and e["outcome"] == "allowed"
            and e["dataset"] is not None]


@turns.purge_run("erasure")  # alone on the lake: no stage writes it back (ADR 0090)
def erase(hub: Hub, request_id: int, actor: str) -> dict[str, Any]:
    """Remove the subject from every zone and derived table; redact audit payloads naming them."""
    request = get(hub.catalog, request_id)
    records = subject_records(hub, request)
    identifiers = _identifier_values(hub, records)
    targets = expand(hub, Targets(records=records))
    if request.person_id:
        targets.persons.add(request.person_id)
    removals = remove(hub, targets, reason="erasure", run=f"erasure-{request_id}")
    redacted = audit.redact(hub.catalog, _audit_mentions(
        hub.catalog, targets, identifiers))
    result = {"records": sum(len(v) for v in records.values()), "tables": len(removals),
              "audit_payloads_redacted": redacted}
    close(hub.catalog, request_id, actor=actor, result=result)
    return result


def _identifier_values(hub: Hub, records: dict[str, set[str]]) -> set[str]:
    direct = set(load_model().direct_identifiers)
    values: set[str] = set()
    for dataset, ids in records.items():
        for zone in ("identified", "pseudonymised"):
            rows = _rows(hub, zone, dataset, ids)
            if rows is None:
                continue
            for column in direct & set(rows.column_names):
                values |= {str(v) for v in rows[column].to_pylist() if v not in (None, "")}
    return {v for v in values if len(v) >= 3}


def _audit_mentions(catalog: Catalog, targets: Targets, identifiers: set[str]) -> list[int]:
    """Entries whose payload names the subject, a record of theirs or an identifier."""
    needles = identifiers | targets.persons | {
        r for ids in targets.records.values() for r in ids}
    lowered = {n.lower() for n in needles}
    found = []
    with catalog.session() as session:
        for seq, payload in session.execute(select(AuditEntry.seq, AuditEntry.payload).where(
                AuditEntry.payload.is_not(None))).tuples():
            subjects = set((payload or {}).get("subjects") or [])
            text = str((payload or {}).get("details") or "").lower()
            if subjects & needles or any(n in text for n in lowered):
                found.append(seq)
    return found


def restrict(hub: Hub, request_id: int, actor: str, purpose: str | None = None) -> int:
    """Freeze the subject's records (every purpose, or one purpose for an objection)."""
    request = get(hub.catalog, request_id)
    records = subject_records(hub, request)
    with hub.catalog.session() as session:
        for dataset, ids in records.items():
            session.add_all(Restriction(request_id=request_id, dataset=dataset, record_id=rid,
                                        person_id=request.person_id, purpose=purpose)
                            for rid in sorted(ids))
        if request.person_id:
            session.add(Restriction(request_id=request_id, person_id=request.person_id,
                                    purpose=purpose))
    count = sum(len(ids) for ids in records.values())
    close(hub.catalog, request_id, actor=actor, result={"restricted_records": count,
                                                        "purpose": purpose})
    return count
