"""Audit reports: "who viewed my data" for a partner, and usage per partner, user or dataset."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from sqlalchemy import and_, func, or_, select

from odahub.catalog import Catalog
from odahub.catalog.tables.core import Dataset, Partner
from odahub.catalog.tables.governance import AgreementGrant, AuditEntry
from odahub.catalog.tables.governance import User as UserRow

UsageBy = Literal["partner", "user", "dataset"]


def _owned_datasets(catalog: Catalog, partner: str) -> set[str]:
    """Datasets a partner owns: from the feed catalog, and from the shares it signed."""
    with catalog.session() as session:
        owned = set(session.scalars(select(Dataset.name).join(
            Partner, Dataset.partner_id == Partner.id).where(Partner.code == partner)))
        owned |= set(session.scalars(select(AgreementGrant.dataset).where(
            AgreementGrant.provider == partner)))
    return owned


def who_viewed(catalog: Catalog, partner: str, *, since: datetime | None = None,
               until: datetime | None = None, limit: int = 1000) -> list[dict[str, Any]]:
    """Every access (allowed or denied) to a partner's datasets, newest first."""
    owned = _owned_datasets(catalog, partner)
    if not owned:
        return []
    # Multi-dataset reads name their datasets in details["datasets"] instead of `dataset`.
    query = select(AuditEntry).where(or_(AuditEntry.dataset.in_(owned), and_(
        AuditEntry.dataset.is_(None), AuditEntry.subject_count > 0))).order_by(
        AuditEntry.seq.desc()).limit(limit)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if until is not None:
        query = query.where(AuditEntry.at < until)
    with catalog.session() as session:
        partner_of = _partner_of_users(session)
        return [{
            "seq": e.seq, "at": e.at.isoformat(timespec="seconds"), "user": e.actor,
            "user_partner": partner_of.get(e.actor), "dataset": e.dataset, "action": e.action,
            "outcome": e.outcome, "purpose": e.purpose, "justification": e.justification,
            "subjects": e.subject_count,
            "search": ((e.payload or {}).get("details") or {}).get("search"),
        } for e in session.scalars(query) if e.dataset in owned or owned & set(
            ((e.payload or {}).get("details") or {}).get("datasets") or [])]


def _partner_of_users(session: Any) -> dict[str, str]:
    rows = session.execute(select(UserRow.username, Partner.code).join(
        Partner, UserRow.partner_id == Partner.id)).tuples().all()
    return dict(rows)


def usage(catalog: Catalog, by: UsageBy = "user", *, since: datetime | None = None,
          until: datetime | None = None) -> list[dict[str, Any]]:
    """Reads of partner data counted per user, per the user's partner, or per dataset."""
    with catalog.session() as session:
        query = select(AuditEntry.actor, AuditEntry.dataset, AuditEntry.outcome,
                       func.count(), func.sum(AuditEntry.subject_count)).where(
            AuditEntry.dataset.is_not(None)).group_by(
            AuditEntry.actor, AuditEntry.dataset, AuditEntry.outcome)
        if since is not None:
            query = query.where(AuditEntry.at >= since)
        if until is not None:
            query = query.where(AuditEntry.at < until)
        rows = session.execute(query).tuples().all()
        partner_of = _partner_of_users(session)
    totals: dict[str, dict[str, Any]] = {}
    for actor, dataset, outcome, count, subjects in rows:
        key = str({"user": actor, "dataset": dataset,
                   "partner": partner_of.get(actor, "(none)")}[by])
        row = totals.setdefault(key, {by: key, "allowed": 0, "denied": 0, "subjects": 0})
        row["allowed" if outcome == "allowed" else "denied"] += int(count)
        row["subjects"] += int(subjects or 0)
    return sorted(totals.values(), key=lambda row: (-row["allowed"], str(row[by])))
