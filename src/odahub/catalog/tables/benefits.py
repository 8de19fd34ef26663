"""Catalog tables of the benefits stage: unit costs, interventions, benefits tracker, portfolio,
risk register.

Each table is added by an Alembic migration on the 'benefits' branch (down_revision 0001_core).
Money is stored as floats of pounds: published figures are whole pounds and every report rounds.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from odahub.catalog.base import Base, utcnow


class DeflatorSeriesRow(Base):
    """A named, versioned price index by financial year, used to uprate unit costs."""

    __tablename__ = "benefits_deflator_series"
    __table_args__ = (UniqueConstraint("name", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    version: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(Text, default="")
    index: Mapped[dict[str, float]] = mapped_column(JSON)
    forecast_years: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class UnitCostEdition(Base):
    """One loaded edition of a Unit Cost Database workbook."""

    __tablename__ = "benefits_unit_cost_editions"

    id: Mapped[int] = mapped_column(primary_key=True)
    edition: Mapped[str] = mapped_column(String(64), unique=True)
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    attribution: Mapped[str] = mapped_column(Text)
    deflator_id: Mapped[int] = mapped_column(ForeignKey("benefits_deflator_series.id"))
    rows: Mapped[int] = mapped_column(Integer, default=0)
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    deflator: Mapped[DeflatorSeriesRow] = relationship()


class UnitCostRow(Base):
    """One cost line of an edition, values as published (uprating happens when read)."""

    __tablename__ = "benefits_unit_costs"
    __table_args__ = (UniqueConstraint("edition_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(
        ForeignKey("benefits_unit_cost_editions.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    sheet: Mapped[str] = mapped_column(String(64))
    row: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(16))
    parent_code: Mapped[str | None] = mapped_column(String(32), default=None)
    outcome_category: Mapped[str] = mapped_column(String(128), default="")
    outcome_detail: Mapped[str] = mapped_column(String(255), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    unit: Mapped[str] = mapped_column(String(128), default="")
    agency: Mapped[str] = mapped_column(String(128), default="")
    agency_detail: Mapped[str] = mapped_column(String(128), default="")
    fiscal_value: Mapped[float | None] = mapped_column(Float, default=None)
    fiscal_year: Mapped[str | None] = mapped_column(String(8), default=None)
    economic_value: Mapped[float | None] = mapped_column(Float, default=None)
    economic_year: Mapped[str | None] = mapped_column(String(8), default=None)
    social_value: Mapped[float | None] = mapped_column(Float, default=None)
    social_year: Mapped[str | None] = mapped_column(String(8), default=None)
    source: Mapped[str] = mapped_column(Text, default="")
    rag: Mapped[str] = mapped_column(String(4), default="")
    comment: Mapped[str] = mapped_column(Text, default="")
    transfer_payment: Mapped[bool] = mapped_column(Boolean, default=False)


class Intervention(Base):
    """A programme delivered to a person or household (e.g. conditional pre-trial diversion)."""

    __tablename__ = "benefits_interventions"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme: Mapped[str] = mapped_column(String(128), index=True)
    agency: Mapped[str] = mapped_column(String(128))
    subject_kind: Mapped[str] = mapped_column(String(16))  # person | household
    subject_id: Mapped[str] = mapped_column(String(64), index=True)
    start_date: Mapped[date] = mapped_column()
    end_date: Mapped[date | None] = mapped_column(default=None)
    conditions: Mapped[list[str]] = mapped_column(JSON, default=list)
    compliance: Mapped[str] = mapped_column(String(16), default="pending")
    status: Mapped[str] = mapped_column(String(16), default="active")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str | None] = mapped_column(String(128), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Reserve(Base):
    """A fund (e.g. an Operational Transformation Reserve) from which bids are approved."""

    __tablename__ = "benefits_reserves"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    amount: Mapped[float] = mapped_column(Float)
    description: Mapped[str] = mapped_column(Text, default="")
    report_date: Mapped[date | None] = mapped_column(default=None)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    bids: Mapped[list[Bid]] = relationship(
        back_populates="reserve", cascade="all, delete-orphan", order_by="Bid.id")
    changes: Mapped[list[ReserveChange]] = relationship(
        back_populates="reserve", cascade="all, delete-orphan", order_by="ReserveChange.position")


class Bid(Base):
    """An approved (or proposed, or cancelled) bid against a reserve."""

    __tablename__ = "benefits_bids"
    __table_args__ = (UniqueConstraint("reserve_id", "reference"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reserve_id: Mapped[int] = mapped_column(ForeignKey("benefits_reserves.id", ondelete="CASCADE"))
    reference: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(255))
    lead: Mapped[str] = mapped_column(String(255), default="")
    approval_body: Mapped[str] = mapped_column(String(255), default="")
    approval_date: Mapped[date | None] = mapped_column(default=None)
    status: Mapped[str] = mapped_column(String(16), default="approved")
    criteria_scores: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    priorities: Mapped[list[int]] = mapped_column(JSON, default=list)
    benefits_update: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    reserve: Mapped[Reserve] = relationship(back_populates="bids")
    spend: Mapped[list[BidSpend]] = relationship(
        back_populates="bid", cascade="all, delete-orphan", order_by="BidSpend.financial_year")


class BidSpend(Base):
    """Spend of a bid in one financial year, actual or forecast."""

    __tablename__ = "benefits_bid_spend"
    __table_args__ = (UniqueConstraint("bid_id", "financial_year", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("benefits_bids.id", ondelete="CASCADE"))
    financial_year: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(16))  # actual | forecast
    amount: Mapped[float] = mapped_column(Float)

    bid: Mapped[Bid] = relationship(back_populates="spend")


class ReserveChange(Base):
    """A proposed or agreed change to allocations: money returned or further allocated."""

    __tablename__ = "benefits_reserve_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    reserve_id: Mapped[int] = mapped_column(ForeignKey("benefits_reserves.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    bid_reference: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # return | allocate
    amount: Mapped[float] = mapped_column(Float)
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="proposed")

    reserve: Mapped[Reserve] = relationship(back_populates="changes")


class TrackedBenefit(Base):
    """A benefit with an owner, a measure, a baseline and a target (benefits tracker)."""

    __tablename__ = "benefits_tracked"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    owner: Mapped[str] = mapped_column(String(255))
    measure: Mapped[str] = mapped_column(Text)
    unit: Mapped[str] = mapped_column(String(64), default="")
    kind: Mapped[str] = mapped_column(String(16))  # cashable | efficiency | non_cashable
    frequency: Mapped[str] = mapped_column(String(16), default="monthly")  # monthly | quarterly
    baseline: Mapped[float] = mapped_column(Float, default=0.0)
    target: Mapped[float] = mapped_column(Float)
    higher_is_better: Mapped[bool] = mapped_column(Boolean, default=True)
    bid_reference: Mapped[str | None] = mapped_column(String(64), default=None)
    status: Mapped[str] = mapped_column(String(16), default="open")

    actuals: Mapped[list[BenefitActual]] = relationship(
        back_populates="benefit", cascade="all, delete-orphan", order_by="BenefitActual.period")


class BenefitActual(Base):
    """The measured value of a tracked benefit for one month (2020-05) or quarter (2020-Q2)."""

    __tablename__ = "benefits_actuals"
    __table_args__ = (UniqueConstraint("benefit_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    benefit_id: Mapped[int] = mapped_column(ForeignKey("benefits_tracked.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(8))
    value: Mapped[float] = mapped_column(Float)
    note: Mapped[str] = mapped_column(Text, default="")

    benefit: Mapped[TrackedBenefit] = relationship(back_populates="actuals")


class RiskEntry(Base):
    """A risk on a register, with its risk management plan (cause, event, effect, controls...)."""

    __tablename__ = "benefits_risks"
    __table_args__ = (UniqueConstraint("register", "reference"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    register: Mapped[str] = mapped_column(String(128))
    reference: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(255))
    cause: Mapped[str] = mapped_column(Text, default="")
    event: Mapped[str] = mapped_column(Text, default="")
    effect: Mapped[str] = mapped_column(Text, default="")
    how_identified: Mapped[str] = mapped_column(Text, default="")
    impact_on: Mapped[str] = mapped_column(Text, default="")
    owner: Mapped[str] = mapped_column(String(255), default="")
    triggers: Mapped[list[str]] = mapped_column(JSON, default=list)
    controls: Mapped[list[str]] = mapped_column(JSON, default=list)
    further_controls: Mapped[list[str]] = mapped_column(JSON, default=list)
    next_steps: Mapped[list[str]] = mapped_column(JSON, default=list)
    probability: Mapped[int] = mapped_column(Integer)
    impact: Mapped[int] = mapped_column(Integer)
    residual_probability: Mapped[int] = mapped_column(Integer)
    residual_impact: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="open")
    raised_on: Mapped[date | None] = mapped_column(default=None)
    last_reviewed: Mapped[date | None] = mapped_column(default=None)
    next_review: Mapped[date | None] = mapped_column(default=None)
