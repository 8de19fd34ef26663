"""Catalog tables of the link stage.

Each table is added by an Alembic migration on the 'link' branch (down_revision 0001_core).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from odahub.catalog.base import Base, utcnow


class LinkModel(Base):
    """A trained Splink model (settings JSON with m/u) and the thresholds chosen from it."""

    __tablename__ = "link_models"

    id: Mapped[int] = mapped_column(primary_key=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    threshold: Mapped[float] = mapped_column(Float)
    review_low: Mapped[float] = mapped_column(Float)
    review_high: Mapped[float] = mapped_column(Float)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LinkRun(Base):
    """One linkage run (full or incremental) and its headline numbers."""

    __tablename__ = "link_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    mode: Mapped[str] = mapped_column(String(16))
    model_id: Mapped[int | None] = mapped_column(ForeignKey("link_models.id"), default=None)
    status: Mapped[str] = mapped_column(String(16), default="running")
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    links_version: Mapped[int | None] = mapped_column(Integer, default=None)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


class LinkReview(Base):
    """A record pair for clerical review, and the decision taken on it.

    status: pending | accepted (forced link) | rejected (forced non-link) | withdrawn.
    Records are named `dataset:record_id`; record_a < record_b.
    """

    __tablename__ = "link_reviews"
    __table_args__ = (UniqueConstraint("record_a", "record_b"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_a: Mapped[str] = mapped_column(String(255))
    record_b: Mapped[str] = mapped_column(String(255))
    match_probability: Mapped[float | None] = mapped_column(Float, default=None)
    match_weight: Mapped[float | None] = mapped_column(Float, default=None)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    source: Mapped[str] = mapped_column(String(16), default="model")
    run_id: Mapped[int | None] = mapped_column(ForeignKey("link_runs.id"), default=None)
    decided_by: Mapped[str | None] = mapped_column(String(128), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
