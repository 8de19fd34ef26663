"""Partners and users: who may sign in, for which partner, in which roles; login and lockout."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from odahub.catalog import Catalog
from odahub.catalog.base import utcnow
from odahub.catalog.tables.core import Partner
from odahub.catalog.tables.governance import User as UserRow
from odahub.errors import AccessDenied, NotFound, SpecError
from odahub.governance import audit, passwords
from odahub.governance.principal import ROLES, Principal

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
LOGIN_FAILED = "invalid username or password"


@dataclass(frozen=True)
class User:
    """A read-only view of a user row."""

    id: int
    username: str
    display_name: str
    email: str | None
    partner: str | None
    roles: frozenset[str]
    nominated: bool
    training_completed: date | None
    training_expires: date | None
    active: bool
    locked_until: datetime | None
    last_login_at: datetime | None

    def training_current(self, on: date | None = None) -> bool:
        on = on or utcnow().date()
        return self.training_expires is not None and self.training_expires >= on


def to_user(session: Session, row: UserRow) -> User:
    partner = session.scalar(select(Partner.code).where(Partner.id == row.partner_id)) if (
        row.partner_id is not None) else None
    return User(row.id, row.username, row.display_name, row.email, partner, frozenset(row.roles),
                row.nominated, row.training_completed, row.training_expires, row.active,
                row.locked_until, row.last_login_at)


def ensure_partner(session: Session, code: str, name: str | None = None,
                   kind: str = "other") -> Partner:
    """Get-or-create a partner by code (governance runs before ingest; either may create it)."""
    partner = session.scalar(select(Partner).where(Partner.code == code))
    if partner is None:
        partner = Partner(code=code, name=name or code.replace("_", " ").title(), kind=kind)
        session.add(partner)
        session.flush()
    return partner


def _partner_id(session: Session, code: str | None) -> int | None:
    if code is None:
        return None
    partner_id = session.scalar(select(Partner.id).where(Partner.code == code))
    if partner_id is None:
        raise NotFound(f"no partner with code {code!r}")
    return partner_id


def _check_roles(roles: Iterable[str]) -> list[str]:
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise SpecError(f"unknown role(s) {', '.join(unknown)}; roles are {', '.join(ROLES)}")
    return sorted(set(roles))


def create(catalog: Catalog, username: str, *, partner: str | None, roles: Iterable[str],
           password: str | None = None, nominated: bool = False,
           training_completed: date | None = None, training_expires: date | None = None,
           display_name: str = "", email: str | None = None, actor: str = "system") -> User:
    """Add a user (or update the user of that name); audited as a grant change."""
    if password is not None:
        passwords.check_policy(password, username)
    with catalog.session() as session:
        row = session.scalar(select(UserRow).where(UserRow.username == username))
        if row is None:
            row = UserRow(username=username)
            session.add(row)
        row.partner_id = _partner_id(session, partner)
        row.roles = _check_roles(roles)
        row.nominated, row.display_name, row.email = nominated, display_name or username, email
        row.training_completed, row.training_expires = training_completed, training_expires
        if password is not None:
            row.password_hash = passwords.hash_password(password)
        session.flush()
        user = to_user(session, row)
    audit.record(catalog, actor=actor, action="user.save", details={
        "user": username, "partner": partner, "roles": sorted(user.roles),
        "nominated": nominated, "training_expires": training_expires})
    return user


def get(catalog: Catalog, username: str) -> User:
    with catalog.session() as session:
        row = session.scalar(select(UserRow).where(UserRow.username == username))
        if row is None:
            raise NotFound(f"no user {username!r}")
        return to_user(session, row)


def by_id(catalog: Catalog, user_id: int) -> User:
    with catalog.session() as session:
        row = session.get(UserRow, user_id)
        if row is None:
            raise NotFound(f"no user with id {user_id}")
        return to_user(session, row)


def all_users(catalog: Catalog) -> list[User]:
    with catalog.session() as session:
        rows = session.scalars(select(UserRow).order_by(UserRow.username)).all()
        return [to_user(session, row) for row in rows]


def update(catalog: Catalog, username: str, *, actor: str = "system",
           **changes: object) -> User:
    """Change nominated, training_completed, training_expires, roles, display_name or email."""
    allowed = {"nominated", "training_completed", "training_expires", "roles", "display_name",
               "email"}
    unknown = set(changes) - allowed
    if unknown:
        raise SpecError(f"cannot change {', '.join(sorted(unknown))} of a user")
    with catalog.session() as session:
        row = session.scalar(select(UserRow).where(UserRow.username == username))
        if row is None:
            raise NotFound(f"no user {username!r}")
        for name, value in changes.items():
            setattr(row, name, _check_roles(value) if name == "roles" else value)  # type: ignore[arg-type]
        session.flush()
        user = to_user(session, row)
    audit.record(catalog, actor=actor, action="user.update",
                 details={"user": username, **{k: str(v) for k, v in changes.items()}})
    return user


def set_password(catalog: Catalog, username: str, password: str, actor: str = "system") -> None:
    passwords.check_policy(password, username)
    with catalog.session() as session:
        row = session.scalar(select(UserRow).where(UserRow.username == username))
        if row is None:
            raise NotFound(f"no user {username!r}")
        row.password_hash = passwords.hash_password(password)
        row.failed_logins, row.locked_until = 0, None
    audit.record(catalog, actor=actor, action="user.password", details={"user": username})


def set_active(catalog: Catalog, username: str, active: bool, actor: str = "system") -> User:
    """Enable or disable a user; disabling ends every session and revokes every token at once."""
    from odahub.governance import sessions, tokens

    with catalog.session() as session:
        row = session.scalar(select(UserRow).where(UserRow.username == username))
        if row is None:
            raise NotFound(f"no user {username!r}")
        row.active = active
        user = to_user(session, row)
    if not active:
        sessions.end_all(catalog, user.id, reason="user disabled")
        tokens.revoke_all(catalog, user.id)
    audit.record(catalog, actor=actor, action="user.enable" if active else "user.disable",
                 details={"user": username})
    return user


def authenticate(catalog: Catalog, username: str, password: str, *,
                 now: datetime | None = None) -> User:
    """Check a password; count failures and lock the account after MAX_FAILED_LOGINS."""
    now = now or utcnow()
    with catalog.session() as session:
        row = session.scalar(select(UserRow).where(UserRow.username == username))
        good = passwords.verify_password(row.password_hash if row else None, password)
        reason = _login_refusal(row, good, now)
        if row is not None:
            if reason is None:
                row.failed_logins, row.locked_until, row.last_login_at = 0, None, now
                if passwords.needs_rehash(row.password_hash or ""):
                    row.password_hash = passwords.hash_password(password)
            elif reason == "wrong password":
                row.failed_logins += 1
                if row.failed_logins >= MAX_FAILED_LOGINS:
                    row.locked_until, reason = now + LOCKOUT, "wrong password; account locked"
        user = to_user(session, row) if row is not None else None
    audit.record(catalog, actor=username, action="login",
                 outcome="allowed" if reason is None else "denied",
                 details={"method": "password", "reason": reason or "ok"})
    if reason is not None or user is None:
        locked = reason is not None and "locked" in reason
        raise AccessDenied("account temporarily locked after repeated failures" if locked
                           else LOGIN_FAILED)
    return user


def _login_refusal(row: UserRow | None, good: bool, now: datetime) -> str | None:
    if row is None:
        return "unknown user"
    if row.locked_until is not None and row.locked_until > now:
        return "locked"
    if not good:
        return "wrong password"
    if not row.active:
        return "disabled"
    return None


def principal_for(catalog: Catalog, username: str, purpose: str | None = None,
                  justification: str | None = None) -> Principal:
    """The principal of an active user, for a purpose (raises NotFound/AccessDenied)."""
    user = get(catalog, username)
    if not user.active:
        raise AccessDenied(f"user {username!r} is disabled")
    return Principal(username=user.username, partner=user.partner, roles=user.roles,
                     purpose=purpose, justification=justification, user_id=user.id)
