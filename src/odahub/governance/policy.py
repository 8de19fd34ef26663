"""The one policy that decides every read of partner data (deny by default).

A read is allowed iff the user is active ∧ nominated ∧ trained (not expired) ∧ a Tier 2 ISA in
force (and its Tier 1, if named) covers (dataset, purpose, level) ∧ the user's partner and the
dataset's owner are parties ∧ one of the user's roles is granted and may see that level.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from odahub.catalog import Catalog
from odahub.catalog.base import utcnow
from odahub.catalog.tables.core import Dataset, Partner
from odahub.catalog.tables.governance import Agreement, AgreementGrant, Restriction, User
from odahub.errors import AccessDenied
from odahub.governance import audit, changes
from odahub.governance.cached import TrustCache
from odahub.governance.principal import LEVELS, ROLE_CEILING, Level, Principal
from odahub.model import load_model

# Columns that name rows rather than people: every level may see them.
KEY_COLUMNS = frozenset({"dataset", "record_id", "person_id", "household_id", "_key_id"})


@dataclass(frozen=True)
class Access:
    """What may be seen of one dataset."""

    dataset: str
    level: Level
    columns: frozenset[str] | None
    agreement: str


@dataclass(frozen=True)
class Decision:
    access: Access | None
    reason: str


@dataclass(frozen=True)
class _Agreement:
    code: str
    start: date
    end: date
    revoked: bool

    def in_force(self, on: date) -> bool:
        return not self.revoked and self.start <= on <= self.end


@dataclass(frozen=True)
class _Grant:
    agreement: str
    provider: str
    dataset: str
    level: str
    roles: frozenset[str]
    columns: frozenset[str] | None
    parties: frozenset[str]


@dataclass(frozen=True)
class _Inputs:
    """What a user's decisions for one purpose depend on, whatever the day: the user's row,
    every Tier 2 ISA for the purpose (in force or not, with its Tier 1) and their grants.

    Dates are compared at decision time, so a cached copy still stops access the moment an
    agreement (or the user's training) runs out.
    """

    user_id: int | None
    active: bool
    nominated: bool
    training_expires: date | None
    partner: str | None
    roles: frozenset[str]
    agreements: tuple[tuple[_Agreement, _Agreement | None, bool], ...]  # tier 2, tier 1, needs one
    grants: tuple[_Grant, ...]
    owners: Mapping[str, str]

    def context(self, principal: Principal, on: date) -> _Context:
        refusal = self.refusal(principal, on)
        if refusal is not None:
            return _Context(refusal, None, frozenset(), [], {})
        in_force = {tier2.code for tier2, tier1, has_parent in self.agreements
                    if tier2.in_force(on) and (
                        not has_parent or (tier1 is not None and tier1.in_force(on)))}
        return _Context(None, self.partner, self.roles & principal.roles,
                        [g for g in self.grants if g.agreement in in_force], self.owners)

    def refusal(self, principal: Principal, on: date) -> str | None:
        if self.user_id is None:
            return "unknown user"
        if principal.user_id is not None and principal.user_id != self.user_id:
            return "principal does not match the user"
        if not self.active:
            return "user is disabled"
        if not self.nominated:
            return "user is not nominated"
        if self.training_expires is None or self.training_expires < on:
            return "data protection training is not current"
        if self.partner is None:
            return "user belongs to no partner"
        if not principal.purpose:
            return "no purpose given"
        return None


_NOBODY = _Inputs(None, False, False, None, None, frozenset(), (), (), {})


@dataclass
class _Context:
    """Everything one principal's decisions need on one day."""

    refusal: str | None
    partner: str | None
    roles: frozenset[str]
    grants: list[_Grant]
    owners: Mapping[str, str]

    def decide(self, dataset: str, level: str) -> Decision:
        if self.refusal is not None:
            return Decision(None, self.refusal)
        if level not in LEVELS:
            return Decision(None, f"unknown level {level!r}")
        allowed_roles = {role for role in self.roles if level in ROLE_CEILING.get(role, ())}
        if not allowed_roles:
            return Decision(None, f"no role of the user may see {level} data")
        for grant in self.grants:
            if grant.dataset != dataset or not _level_covers(grant.level, level):
                continue
            if not grant.roles & allowed_roles or self.partner not in grant.parties:
                continue
            owner = self.owners.get(dataset)
            if owner is not None and owner != grant.provider:
                continue  # a party can only share what it owns
            return Decision(Access(dataset, level, grant.columns, grant.agreement),  # type: ignore[arg-type]
                            f"granted by {grant.agreement}")
        return Decision(None, f"no Tier 2 agreement in force grants {level} {dataset!r} "
                              "for this purpose, partner and role")


def _level_covers(granted: str, wanted: str) -> bool:
    # An identified grant includes the pseudonymised view of the same records.
    return granted == wanted or (granted == "identified" and wanted == "pseudonymised")


def _load(session: Session, username: str, purpose: str | None) -> _Inputs:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        return _NOBODY
    partner = session.scalar(select(Partner.code).where(Partner.id == user.partner_id)) if (
        user.partner_id is not None) else None
    tier2 = session.scalars(select(Agreement).where(
        Agreement.tier == 2, Agreement.purpose == purpose).order_by(Agreement.code)).all() if (
        purpose) else []
    parents = {a.code: a for a in session.scalars(select(Agreement).where(
        Agreement.code.in_({a.parent_code for a in tier2 if a.parent_code}))).all()}
    grants: list[_Grant] = []
    if tier2:
        rows = session.scalars(select(AgreementGrant).where(
            AgreementGrant.agreement_id.in_([a.id for a in tier2])).order_by(
            AgreementGrant.id)).all()
        by_id = {a.id: a for a in tier2}
        order = {a.id: n for n, a in enumerate(tier2)}
        grants = [_Grant(by_id[g.agreement_id].code, g.provider, g.dataset, g.level,
                         frozenset(g.roles), frozenset(g.columns) if g.columns else None,
                         frozenset(by_id[g.agreement_id].parties))
                  for g in sorted(rows, key=lambda g: order[g.agreement_id])]
    owners = dict(session.execute(select(Dataset.name, Partner.code).join(
        Partner, Dataset.partner_id == Partner.id).where(
        Dataset.name.in_({g.dataset for g in grants}))).tuples().all())
    return _Inputs(
        user.id, bool(user.active), bool(user.nominated), user.training_expires, partner,
        frozenset(user.roles),
        tuple((_agreement(a), _parent(parents, a.parent_code), a.parent_code is not None)
              for a in tier2),
        tuple(grants), owners)


def _agreement(row: Agreement) -> _Agreement:
    return _Agreement(row.code, row.start_date, row.end_date, row.revoked_at is not None)


def _parent(parents: Mapping[str, Agreement], code: str | None) -> _Agreement | None:
    row = parents.get(code) if code is not None else None
    return _agreement(row) if row is not None else None


class PolicyCache:
    """Policy inputs per (user, purpose), reused for `ttl` seconds (ADR 0074).

    A governance change audited by this process (user, agreement, grant, token) invalidates
    them at once; a change made by another process is seen within `ttl`. Decisions themselves
    are never cached: dates are compared with the day of each read.
    """

    def __init__(self, ttl: float = 5.0) -> None:
        self.ttl = ttl
        self._cache: TrustCache[_Inputs] = TrustCache(ttl)

    def inputs(self, catalog: Catalog, principal: Principal) -> _Inputs:
        return self._cache.get((principal.username, principal.purpose),
                               changes.generation(catalog), lambda: _read(catalog, principal))

    def clear(self) -> None:
        self._cache.clear()


def _read(catalog: Catalog, principal: Principal) -> _Inputs:
    with catalog.session() as session:
        return _load(session, principal.username, principal.purpose)


def _context(catalog: Catalog, principal: Principal, on: date | None,
             cache: PolicyCache | None = None) -> _Context:
    inputs = cache.inputs(catalog, principal) if cache is not None else _read(catalog, principal)
    return inputs.context(principal, on or utcnow().date())


def decide(catalog: Catalog, principal: Principal, dataset: str, level: str, *,
           on: date | None = None, cache: PolicyCache | None = None) -> Access | None:
    """What the principal may see of `dataset` at `level` on day `on` (today); no audit."""
    return _context(catalog, principal, on, cache).decide(dataset, level).access


def explain(catalog: Catalog, principal: Principal, dataset: str, level: str, *,
            on: date | None = None, cache: PolicyCache | None = None) -> Decision:
    """The decision with its reason (for admin screens and the audit)."""
    return _context(catalog, principal, on, cache).decide(dataset, level)


def authorise(catalog: Catalog, principal: Principal, dataset: str, level: str, *,
              action: str, subjects: Iterable[str] = (),
              details: Mapping[str, Any] | None = None, on: date | None = None,
              cache: PolicyCache | None = None) -> Access:
    """Decide and audit one read; raise AccessDenied (shown as 404) on denial."""
    decision = _context(catalog, principal, on, cache).decide(dataset, level)
    if decision.access is not None and not principal.justification:
        decision = Decision(None, "no justification given")
    audit.record(
        catalog, actor=principal.username, action=action, purpose=principal.purpose,
        justification=principal.justification, dataset=dataset,
        subjects=subjects if decision.access is not None else (),
        details={"level": level, "reason": decision.reason, "partner": principal.partner,
                 **dict(details or {})},
        outcome="allowed" if decision.access is not None else "denied",
    )
    if decision.access is None:
        raise AccessDenied(f"{dataset!r} not found")
    return decision.access


def readable(catalog: Catalog, principal: Principal, level: str, *,
             on: date | None = None, cache: PolicyCache | None = None) -> dict[str, Access]:
    """Every dataset this principal may read at `level` for its purpose.

    `cache` (a web app's) reuses the policy inputs for a few seconds; the decision is still
    made here, on today's date, for every read.
    """
    context = _context(catalog, principal, on, cache)
    found: dict[str, Access] = {}
    for dataset in sorted({grant.dataset for grant in context.grants}):
        access = context.decide(dataset, level).access
        if access is not None:
            found[dataset] = access
    return found


def visible_columns(access: Access, available: Iterable[str]) -> list[str]:
    """The columns of a table the access may show, in their order.

    Pseudonymised access never shows a direct identifier (even as a token); an agreement may
    narrow the columns further.
    """
    direct = set(load_model().direct_identifiers)
    shown = []
    for column in available:
        if column in KEY_COLUMNS:
            shown.append(column)
        elif access.level == "pseudonymised" and column in direct:
            continue
        elif access.columns is None or column in access.columns:
            shown.append(column)
    return shown


@dataclass(frozen=True)
class Withheld:
    """Rows frozen by a restriction or an upheld objection: leave them out of every read."""

    records: frozenset[tuple[str, str]]
    persons: frozenset[str]

    def hides(self, dataset: str, record_id: str, person_id: str | None = None) -> bool:
        return (dataset, record_id) in self.records or (person_id in self.persons)


def withheld(catalog: Catalog, purpose: str | None = None) -> Withheld:
    with catalog.session() as session:
        rows = session.scalars(select(Restriction).where(Restriction.lifted_at.is_(None))).all()
    live = [r for r in rows if r.purpose is None or r.purpose == purpose]
    return Withheld(
        frozenset((r.dataset, r.record_id) for r in live if r.dataset and r.record_id),
        frozenset(r.person_id for r in live if r.person_id))
