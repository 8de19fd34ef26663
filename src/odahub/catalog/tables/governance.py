"""Catalog tables of governance: users, sessions, tokens, agreements, audit, rights, removals.

Each table is added by an Alembic migration on the 'governance' branch (down_revision 0001_core).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from odahub.catalog.base import Base, utcnow


class User(Base):
    """A person who may sign in; access also needs nomination, training and a Tier 2 ISA."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(128), unique=True)
    display_name: Mapped[str] = mapped_column(String(255), default="")
    email: Mapped[str | None] = mapped_column(String(255), default=None)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"), default=None)
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    nominated: Mapped[bool] = mapped_column(Boolean, default=False)
    training_completed: Mapped[date | None] = mapped_column(Date, default=None)
    training_expires: Mapped[date | None] = mapped_column(Date, default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str | None] = mapped_column(String(255), default=None)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    oidc_issuer: Mapped[str | None] = mapped_column(String(255), default=None)
    oidc_subject: Mapped[str | None] = mapped_column(String(255), default=None)
    last_login_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class UserSession(Base):
    """A server-side session; only the SHA-256 of the session id is stored."""

    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    ended_reason: Mapped[str | None] = mapped_column(String(64), default=None)
    client: Mapped[str | None] = mapped_column(String(255), default=None)


class ApiToken(Base):
    """An API token; the secret is shown once and stored only as a SHA-256 digest."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)


class Agreement(Base):
    """A Tier 1 (intent) or Tier 2 (use case) information sharing agreement."""

    __tablename__ = "agreements"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(128), unique=True)
    tier: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(255))
    parent_code: Mapped[str | None] = mapped_column(String(128), default=None)
    purpose: Mapped[str | None] = mapped_column(String(128), default=None, index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    legal_gateways: Mapped[list[str]] = mapped_column(JSON, default=list)
    parties: Mapped[list[str]] = mapped_column(JSON, default=list)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    review_date: Mapped[date | None] = mapped_column(Date, default=None)
    dpia_ref: Mapped[str | None] = mapped_column(String(128), default=None)
    retention_days: Mapped[int | None] = mapped_column(Integer, default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    source: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AgreementGrant(Base):
    """One share of a Tier 2 ISA: a party's dataset, at a level, to roles of the parties."""

    __tablename__ = "agreement_grants"
    __table_args__ = (UniqueConstraint("agreement_id", "dataset", "level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id", ondelete="CASCADE"))
    provider: Mapped[str] = mapped_column(String(64))
    dataset: Mapped[str] = mapped_column(String(128), index=True)
    level: Mapped[str] = mapped_column(String(16))
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    columns: Mapped[list[str] | None] = mapped_column(JSON, default=None)


class AuditEntry(Base):
    """One entry of the append-only, HMAC-chained audit log (ADR 0050).

    `payload` (subjects, details) is covered by its salted digest, so an erasure can redact it
    without breaking the chain; every other column is covered by `entry_hash` directly.
    """

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_actor_at", "actor", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    at: Mapped[datetime] = mapped_column()
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64), index=True)
    outcome: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str | None] = mapped_column(String(128), default=None)
    justification: Mapped[str | None] = mapped_column(Text, default=None)
    dataset: Mapped[str | None] = mapped_column(String(128), default=None, index=True)
    subject_count: Mapped[int] = mapped_column(Integer, default=0)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    payload_salt: Mapped[str | None] = mapped_column(String(32), default=None)
    payload_digest: Mapped[str] = mapped_column(String(64))
    redacted_at: Mapped[datetime | None] = mapped_column(default=None)
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))


class RightsRequest(Base):
    """A data-subject rights request, tracked to its one-month deadline."""

    __tablename__ = "rights_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    person_id: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    records: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    partner: Mapped[str | None] = mapped_column(String(64), default=None)
    status: Mapped[str] = mapped_column(String(16), default="open")
    received_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    requested_by: Mapped[str] = mapped_column(String(128))
    notes: Mapped[str] = mapped_column(Text, default="")
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Restriction(Base):
    """Records frozen by a restriction (or upheld objection): readers must leave them out."""

    __tablename__ = "restrictions"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("rights_requests.id"), default=None)
    dataset: Mapped[str | None] = mapped_column(String(128), default=None)
    record_id: Mapped[str | None] = mapped_column(String(128), default=None)
    person_id: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    purpose: Mapped[str | None] = mapped_column(String(128), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    lifted_at: Mapped[datetime | None] = mapped_column(default=None)


class DataRemoval(Base):
    """What retention or erasure removed from one table of one zone."""

    __tablename__ = "data_removals"

    id: Mapped[int] = mapped_column(primary_key=True)
    run: Mapped[str] = mapped_column(String(64), index=True)
    reason: Mapped[str] = mapped_column(String(32))
    zone: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(128))
    rows_removed: Mapped[int] = mapped_column(Integer, default=0)
    new_version: Mapped[int | None] = mapped_column(Integer, default=None)
    purged_versions: Mapped[list[int]] = mapped_column(JSON, default=list)
    at: Mapped[datetime] = mapped_column(default=utcnow)
