"""Re-identification: a named need, approved by the data's owner, for named subjects, until expiry.

A requester names nominal person ids, the purpose, a justification and the DPIA reference; the
owning partner's data owner approves (with an expiry) or rejects; until expiry the requester may
see the identified records of those subjects in that partner's datasets — nothing else. Every
step, allowed or refused, goes into the audit log. Callers (CLI, web app) resolve the principal at
the edge and pass it in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import pyarrow as pa
from sqlalchemy import select

from odahub.catalog.base import utcnow
from odahub.catalog.tables.core import Partner
from odahub.catalog.tables.privacy import ReidRequest
from odahub.errors import AccessDenied, NotFound, SpecError
from odahub.governance import Principal
from odahub.hub import Hub
from odahub.privacy.audit import audit
from odahub.privacy.reveal import identified_records

DEFAULT_DAYS = 14
MAX_DAYS = 90


@dataclass(frozen=True)
class RequestView:
    id: int
    requester: str
    owning_partner: str
    subjects: list[str]
    purpose: str
    justification: str
    dpia_ref: str
    status: str
    decided_by: str | None
    expires_at: datetime | None
    created_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _view(row: ReidRequest, now: datetime | None = None) -> RequestView:
    status = row.status
    if status == "approved" and row.expires_at is not None and (now or utcnow()) >= row.expires_at:
        status = "expired"
    return RequestView(row.id, row.requester, row.owning_partner, list(row.subjects),
                       row.purpose, row.justification, row.dpia_ref, status, row.decided_by,
                       row.expires_at, row.created_at)


def _refuse(hub: Hub, principal: Principal, action: str, reason: str, request_id: int | None,
            subjects: Iterable[str] = ()) -> AccessDenied:
    audit(hub, actor=principal.username, action=action, outcome="denied",
          purpose=principal.purpose, subjects=subjects,
          details={"request": request_id, "reason": reason})
    return AccessDenied(f"re-identification refused: {reason}")


def request(hub: Hub, principal: Principal, *, subjects: Iterable[str], purpose: str,
            justification: str, dpia_ref: str, owning_partner: str) -> RequestView:
    """File a request; nothing is revealed until the owning partner approves it."""
    wanted = sorted({s.strip() for s in subjects if s and s.strip()})
    missing = [n for n, v in (("subjects", wanted), ("purpose", purpose.strip()),
                              ("justification", justification.strip()),
                              ("DPIA reference", dpia_ref.strip())) if not v]
    if missing:
        raise SpecError(f"a re-identification request needs {', '.join(missing)}")
    with hub.catalog.session() as session:
        if session.scalar(select(Partner).where(Partner.code == owning_partner)) is None:
            raise NotFound(f"no partner {owning_partner!r}")
        row = ReidRequest(requester=principal.username, requester_partner=principal.partner,
                          owning_partner=owning_partner, subjects=wanted, purpose=purpose,
                          justification=justification, dpia_ref=dpia_ref)
        session.add(row)
        session.flush()
        view = _view(row)
    audit(hub, actor=principal.username, action="reid.request", purpose=purpose,
          justification=justification, subjects=wanted,
          details={"request": view.id, "owning_partner": owning_partner, "dpia_ref": dpia_ref})
    return view


def _decide(hub: Hub, principal: Principal, request_id: int, status: str, note: str | None,
            days: int | None) -> RequestView:
    action = f"reid.{'approve' if status == 'approved' else 'reject'}"
    with hub.catalog.session() as session:
        row = session.get(ReidRequest, request_id)
        if row is None:
            raise NotFound(f"no re-identification request {request_id}")
        reason = None
        if "data_owner" not in principal.roles or principal.partner != row.owning_partner:
            reason = f"only a data owner of {row.owning_partner} may decide"
        elif principal.username == row.requester:
            reason = "a requester cannot decide their own request"
        elif row.status != "pending":
            reason = f"the request is already {row.status}"
        if reason is None:
            row.status, row.decided_by, row.decided_at = status, principal.username, utcnow()
            row.decision_note = note
            if status == "approved":
                row.expires_at = utcnow() + timedelta(days=min(days or DEFAULT_DAYS, MAX_DAYS))
            view = _view(row)
    if reason is not None:
        raise _refuse(hub, principal, action, reason, request_id)
    audit(hub, actor=principal.username, action=action, subjects=view.subjects,
          details={"request": request_id, "note": note, "expires_at": view.expires_at})
    return view


def approve(hub: Hub, principal: Principal, request_id: int, *, days: int | None = None,
            note: str | None = None) -> RequestView:
    return _decide(hub, principal, request_id, "approved", note, days)


def reject(hub: Hub, principal: Principal, request_id: int, *, note: str | None = None
           ) -> RequestView:
    return _decide(hub, principal, request_id, "rejected", note, None)


def request_view(hub: Hub, request_id: int) -> RequestView:
    with hub.catalog.session() as session:
        row = session.get(ReidRequest, request_id)
        if row is None:
            raise NotFound(f"no re-identification request {request_id}")
        return _view(row)


def reveal(hub: Hub, principal: Principal, request_id: int,
           subjects: Iterable[str] | None = None, *, now: datetime | None = None) -> pa.Table:
    """Identified records of approved subjects (all of the request's, or the named subset)."""
    view = request_view(hub, request_id)
    if view.status == "approved" and view.expires_at is not None and (now or utcnow()) >= \
            view.expires_at:
        view = replace(view, status="expired")
    wanted = sorted(set(subjects)) if subjects is not None else view.subjects
    outside = sorted(set(wanted) - set(view.subjects))
    reason = None
    if principal.username != view.requester:
        reason = "only the requester may use an approved request"
    elif view.status != "approved":
        reason = f"the request is {view.status}"
    elif outside:
        reason = f"{len(outside)} subject(s) are outside the request"
    if reason is not None:
        raise _refuse(hub, principal, "reid.reveal", reason, request_id, wanted)
    records = identified_records(hub, wanted, view.owning_partner)
    with hub.catalog.session() as session:
        stored = session.get(ReidRequest, request_id)
        assert stored is not None
        stored.reveals += 1
    audit(hub, actor=principal.username, action="reid.reveal", purpose=view.purpose,
          justification=view.justification, subjects=wanted,
          details={"request": request_id, "records": records.num_rows,
                   "datasets": sorted(set(records["dataset"].to_pylist()))})
    return records


def list_requests(hub: Hub, principal: Principal, status: str | None = None) -> list[RequestView]:
    """Requests the principal made, or may decide (data owners), or all (hub admin, auditor)."""
    with hub.catalog.session() as session:
        rows = list(session.scalars(select(ReidRequest).order_by(ReidRequest.id)))
        views = [_view(r) for r in rows]
    sees_all = bool({"hub_admin", "auditor"} & principal.roles)
    owner = "data_owner" in principal.roles
    return [v for v in views if (status is None or v.status == status) and (
        sees_all or v.requester == principal.username
        or (owner and v.owning_partner == principal.partner))]
