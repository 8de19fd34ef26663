"""Response models of the JSON API (what OpenAPI documents and clients may rely on)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel


def as_utc(value: datetime) -> datetime:
    """The catalog stores naive UTC; the API says so (RFC 3339 needs an offset)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


Timestamp = Annotated[datetime, AfterValidator(as_utc)]


class Me(BaseModel):
    username: str
    partner: str | None
    roles: list[str]
    purpose: str | None
    purposes: list[str]


class SearchOut(BaseModel):
    level: str
    note: str | None
    hits: list[dict[str, Any]]


class PersonOut(BaseModel):
    person_id: str
    level: str
    identity: dict[str, Any]
    records: list[dict[str, Any]]
    timeline: list[dict[str, Any]]
    agencies: list[dict[str, Any]]
    households: list[dict[str, Any]]
    risks: list[dict[str, Any]]
    sources: list[dict[str, Any]]


class RiskListOut(BaseModel):
    model: str
    entity: str
    total: int
    tiers: list[str]
    rows: list[dict[str, Any]]
    decisions: dict[str, dict[str, Any]]


class ReviewIn(BaseModel):
    entity_id: str
    decision: str
    reason: str | None = None


class ReviewOut(BaseModel):
    model: str
    entity_id: str
    decision: str
    reason: str | None
    by: str


class DatasetOut(BaseModel):
    name: str
    partner: str
    partner_name: str
    format: str
    description: str | None
    retention_days: int | None
    event_type: str | None
    version: int | None
    rows_accepted: int
    rows_quarantined: int
    created_at: Timestamp | None


class VersionOut(BaseModel):
    zone: str
    version: int
    rows_read: int
    rows_accepted: int
    rows_quarantined: int
    sha256: str | None
    created_at: Timestamp
    created_by: str | None
    quality: Any = None


class JobOut(BaseModel):
    id: int
    kind: str
    status: str
    progress: float
    message: str | None
    result: dict[str, Any]
    created_at: Timestamp
    finished_at: Timestamp | None


class AgreementOut(BaseModel):
    code: str
    tier: int
    title: str
    purpose: str | None
    parties: list[str]
    start: date
    end: date
    review: date | None
    status: str
    shares: list[dict[str, Any]]


class VerificationOut(BaseModel):
    ok: bool
    entries: int | None = None
    first_bad_entry: int | None = None
    message: str
