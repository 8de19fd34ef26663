"""Catalog tables of the privacy stage.

Each table is added by an Alembic migration on the 'privacy' branch (down_revision 0001_core).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from odahub.catalog.base import Base, utcnow


class TokenDomain(Base):
    """A linkage domain (partnership project) and the key its tokens are made with now.

    The catalog, not the key ring, says which key is active: a rotation switches it in the same
    transaction that makes the re-tokenised versions visible.
    """

    __tablename__ = "privacy_token_domains"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    active_key_id: Mapped[str] = mapped_column(String(160))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    rotated_at: Mapped[datetime | None] = mapped_column(default=None)


class KeyRotation(Base):
    """One run of `odahub keys rotate`: which tables got which new versions."""

    __tablename__ = "privacy_key_rotations"

    id: Mapped[int] = mapped_column(primary_key=True)
    domain: Mapped[str] = mapped_column(String(128))
    old_key_id: Mapped[str] = mapped_column(String(160))
    new_key_id: Mapped[str] = mapped_column(String(160))
    status: Mapped[str] = mapped_column(String(16), default="running")
    actor: Mapped[str] = mapped_column(String(128), default="system")
    tables: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    tokens: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str | None] = mapped_column(Text, default=None)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


class ReidRequest(Base):
    """A request to see who nominal persons are, decided by the owning partner's data owner."""

    __tablename__ = "privacy_reid_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    requester: Mapped[str] = mapped_column(String(128))
    requester_partner: Mapped[str | None] = mapped_column(String(64), default=None)
    owning_partner: Mapped[str] = mapped_column(String(64))
    subjects: Mapped[list[str]] = mapped_column(JSON, default=list)
    purpose: Mapped[str] = mapped_column(String(128))
    justification: Mapped[str] = mapped_column(Text)
    dpia_ref: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    decided_by: Mapped[str | None] = mapped_column(String(128), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    decision_note: Mapped[str | None] = mapped_column(Text, default=None)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    reveals: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
