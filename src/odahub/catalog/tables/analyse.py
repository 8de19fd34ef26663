"""Catalog tables of the analyse stage: model registry, practitioners' decisions, drift checks.

Each table is added by an Alembic migration on the 'analyse' branch (down_revision 0001_core).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from odahub.catalog.base import Base, utcnow


class ModelVersion(Base):
    """One training run of a risk model: its artefacts live in the lake (marts/model_<name>)."""

    __tablename__ = "model_versions"
    __table_args__ = (UniqueConstraint("model", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    model: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | retired
    title: Mapped[str] = mapped_column(String(255))
    trained_as_of: Mapped[str] = mapped_column(String(10))
    data_source: Mapped[str] = mapped_column(String(32))
    artefact_version: Mapped[int] = mapped_column(Integer)  # lake version of marts/model_<name>
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by: Mapped[str | None] = mapped_column(String(128), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(default=None)
    retired_reason: Mapped[str | None] = mapped_column(Text, default=None)


class RiskDecision(Base):
    """A practitioner's decision on one entry of an advisory risk list, with the reason."""

    __tablename__ = "risk_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    model: Mapped[str] = mapped_column(String(64), index=True)
    model_version: Mapped[int] = mapped_column(Integer)
    entity_id: Mapped[str] = mapped_column(String(128), index=True)
    score: Mapped[float | None] = mapped_column(Float, default=None)
    tier: Mapped[str | None] = mapped_column(String(32), default=None)
    decision: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    decided_by: Mapped[str] = mapped_column(String(128))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)


class DriftCheck(Base):
    """Population stability of a model's features and scores between training and now."""

    __tablename__ = "drift_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    model: Mapped[str] = mapped_column(String(64), index=True)
    model_version: Mapped[int] = mapped_column(Integer)
    as_of: Mapped[str] = mapped_column(String(10))
    score_psi: Mapped[float] = mapped_column(Float)
    max_feature_psi: Mapped[float] = mapped_column(Float)
    feature_psi: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    signal: Mapped[str] = mapped_column(String(16))  # ok | monitor | retrain | retire
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)
