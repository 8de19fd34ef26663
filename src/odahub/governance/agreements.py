"""Agreements as code: Tier 1 and Tier 2 information sharing agreements, loaded from YAML.

A file holds `agreements:` (a list) or one agreement. Tier 1 states intent between parties;
Tier 2 names a purpose, legal gateways, a DPIA and, per party, which datasets it shares at which
level to which roles. Only Tier 2 shares grant access (see policy).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy import delete, select

from odahub.catalog import Catalog
from odahub.catalog.base import utcnow
from odahub.catalog.tables.core import Partner
from odahub.catalog.tables.governance import Agreement, AgreementGrant
from odahub.errors import NotFound, Problem, SpecError
from odahub.governance import audit
from odahub.governance.principal import ROLES


class Share(BaseModel):
    model_config = ConfigDict(extra="forbid")
    party: str
    datasets: list[str] = Field(min_length=1)
    level: Literal["pseudonymised", "identified"]
    roles: list[Literal["hub_admin", "data_owner", "analyst", "practitioner", "auditor"]] = (
        Field(min_length=1))
    columns: list[str] | None = None

    @model_validator(mode="after")
    def analysts_never_identified(self) -> Share:
        if self.level == "identified" and "analyst" in self.roles:
            raise ValueError("analysts may only be granted pseudonymised data")
        return self


class AgreementSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
    tier: Literal[1, 2]
    title: str
    parties: list[str] = Field(min_length=1)
    start: date
    end: date
    review: date | None = None
    intent: str = ""
    tier1: str | None = None
    purpose: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]*$")
    use_case: str = ""
    legal_gateways: list[str] = Field(default_factory=list)
    dpia: str | None = None
    retention_days: int | None = Field(default=None, gt=0)
    shares: list[Share] = Field(default_factory=list)

    @model_validator(mode="after")
    def consistent(self) -> AgreementSpec:
        if self.end < self.start:
            raise ValueError("end must not be before start")
        if self.tier == 1 and (self.shares or self.purpose):
            raise ValueError("a Tier 1 agreement states intent only: no purpose, no shares")
        if self.tier == 2:
            missing = [name for name in ("purpose", "dpia") if not getattr(self, name)]
            if missing or not self.legal_gateways or not self.shares:
                raise ValueError("a Tier 2 agreement needs purpose, legal_gateways, dpia and "
                                 "shares")
            strangers = sorted({s.party for s in self.shares} - set(self.parties))
            if strangers:
                raise ValueError(f"shares by {', '.join(strangers)}, who are not parties")
        return self


@dataclass(frozen=True)
class AgreementView:
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


def parse(path: Path) -> list[AgreementSpec]:
    """Read and validate a YAML file; every problem is reported with where it is."""
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as error:
        raise SpecError(f"cannot read {path}: {error}") from error
    items = data.get("agreements", [data]) if isinstance(data, dict) else data
    if not isinstance(items, list) or not items:
        raise SpecError(f"{path}: expected `agreements:` with a list of agreements")
    problems: list[Problem] = []
    specs: list[AgreementSpec] = []
    for index, item in enumerate(items):
        try:
            specs.append(AgreementSpec.model_validate(item))
        except ValidationError as error:
            for issue in error.errors():
                where = "".join(f".{part}" for part in issue["loc"])
                problems.append(Problem(issue["msg"], file=str(path),
                                        column=f"agreements[{index}]{where}"))
    if problems:
        raise SpecError(f"{path}: {len(problems)} problem(s) in the agreements", problems)
    return specs


def save(catalog: Catalog, specs: list[AgreementSpec], actor: str = "system",
         source: str | None = None) -> list[str]:
    """Insert or replace agreements by code (Tier 1 first); audited as grant changes."""
    ordered = sorted(specs, key=lambda spec: spec.tier)
    with catalog.session() as session:
        known = set(session.scalars(select(Partner.code)))
        codes = set(session.scalars(select(Agreement.code))) | {s.code for s in specs}
        _check_references(ordered, known, codes, source)
        for spec in ordered:
            _upsert(session, spec)
    for spec in ordered:
        audit.record(catalog, actor=actor, action="agreement.save", details={
            "agreement": spec.code, "tier": spec.tier, "purpose": spec.purpose,
            "start": spec.start, "end": spec.end, "source": source,
            "shares": [share.model_dump() for share in spec.shares]})
    return [spec.code for spec in ordered]


def _check_references(specs: list[AgreementSpec], partners: set[str], codes: set[str],
                      source: str | None) -> None:
    problems = []
    for spec in specs:
        for party in sorted(set(spec.parties) - partners):
            problems.append(Problem(f"unknown partner {party!r}", file=source, column=spec.code))
        if spec.tier1 and spec.tier1 not in codes:
            problems.append(Problem(f"unknown Tier 1 agreement {spec.tier1!r}", file=source,
                                    column=spec.code))
    if problems:
        raise SpecError("the agreements refer to things that do not exist", problems)


def _upsert(session: Any, spec: AgreementSpec) -> None:
    row = session.scalar(select(Agreement).where(Agreement.code == spec.code))
    if row is None:
        row = Agreement(code=spec.code)
        session.add(row)
    row.tier, row.title, row.parent_code, row.purpose = spec.tier, spec.title, spec.tier1, (
        spec.purpose)
    row.description = spec.use_case or spec.intent
    row.legal_gateways, row.parties = spec.legal_gateways, sorted(set(spec.parties))
    row.start_date, row.end_date, row.review_date = spec.start, spec.end, spec.review
    row.dpia_ref, row.retention_days, row.revoked_at = spec.dpia, spec.retention_days, None
    row.source = spec.model_dump(mode="json")
    session.flush()
    session.execute(delete(AgreementGrant).where(AgreementGrant.agreement_id == row.id))
    for share in spec.shares:
        for dataset in dict.fromkeys(share.datasets):
            session.add(AgreementGrant(agreement_id=row.id, provider=share.party,
                                       dataset=dataset, level=share.level,
                                       roles=sorted(set(share.roles)), columns=share.columns))


def load_file(catalog: Catalog, path: Path, actor: str = "system") -> list[str]:
    return save(catalog, parse(path), actor=actor, source=str(path))


def status(row: Agreement, on: date | None = None) -> str:
    on = on or utcnow().date()
    if row.revoked_at is not None:
        return "revoked"
    if on < row.start_date:
        return "future"
    if on > row.end_date:
        return "expired"
    return "in force"


def list_agreements(catalog: Catalog, on: date | None = None) -> list[AgreementView]:
    with catalog.session() as session:
        rows = session.scalars(select(Agreement).order_by(Agreement.tier, Agreement.code)).all()
        views = []
        for row in rows:
            shares = session.scalars(select(AgreementGrant).where(
                AgreementGrant.agreement_id == row.id).order_by(AgreementGrant.dataset)).all()
            views.append(AgreementView(
                row.code, row.tier, row.title, row.purpose, list(row.parties), row.start_date,
                row.end_date, row.review_date, status(row, on),
                [{"party": g.provider, "dataset": g.dataset, "level": g.level,
                  "roles": list(g.roles)} for g in shares]))
        return views


def end(catalog: Catalog, code: str, *, on: date | None = None, actor: str = "system") -> None:
    """End an agreement (today by default): its grants stop at once."""
    with catalog.session() as session:
        row = session.scalar(select(Agreement).where(Agreement.code == code))
        if row is None:
            raise NotFound(f"no agreement {code!r}")
        row.revoked_at = utcnow()
        if on is not None:
            row.end_date = on
    audit.record(catalog, actor=actor, action="agreement.end", details={"agreement": code})


def purposes(catalog: Catalog) -> list[str]:
    with catalog.session() as session:
        return sorted(set(session.scalars(select(Agreement.purpose).where(
            Agreement.purpose.is_not(None)))))  # type: ignore[arg-type]


__all__ = ["ROLES", "AgreementSpec", "AgreementView", "Share", "end", "list_agreements",
           "load_file", "parse", "purposes", "save", "status"]
