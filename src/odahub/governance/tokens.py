"""API tokens: `odh_<prefix>_<secret>`, shown once; only a SHA-256 digest is stored.

Tokens are 256-bit random secrets, so a fast digest is safe (no password stretching needed).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update

from odahub.catalog import Catalog
from odahub.catalog.base import utcnow
from odahub.catalog.tables.core import Partner
from odahub.catalog.tables.governance import ApiToken
from odahub.catalog.tables.governance import User as UserRow
from odahub.errors import AccessDenied
from odahub.governance import audit, users

PREFIX = "odh_"
# "Last used" is written back at most this often per token (no catalog write per request).
USE_RECORDED_EVERY = timedelta(seconds=60)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue(catalog: Catalog, username: str, *, name: str = "api",
          expires_in: timedelta | None = timedelta(days=90), actor: str | None = None) -> str:
    """Create a token for the user and return it (the only time it is ever shown)."""
    user = users.get(catalog, username)
    prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    now = utcnow()
    with catalog.session() as session:
        session.add(ApiToken(user_id=user.id, name=name, prefix=prefix,
                             token_hash=_digest(secret), created_at=now,
                             expires_at=now + expires_in if expires_in else None))
    audit.record(catalog, actor=actor or username, action="token.issue",
                 details={"user": username, "token": prefix, "name": name})
    return f"{PREFIX}{prefix}_{secret}"


def verify(catalog: Catalog, token: str, *, now: datetime | None = None) -> users.User:
    """The active user a token belongs to; AccessDenied if unknown, revoked or expired.

    One joined read (token, user, partner); "last used" is written at most once a minute.
    """
    now = now or utcnow()
    body = token.removeprefix(PREFIX)
    prefix, _, secret = body.partition("_")
    with catalog.engine.connect() as connection:
        row = connection.execute(
            select(ApiToken.id, ApiToken.token_hash, ApiToken.revoked_at, ApiToken.expires_at,
                   ApiToken.last_used_at, UserRow.id.label("user_id"), UserRow.username,
                   UserRow.display_name, UserRow.email, Partner.code.label("partner"),
                   UserRow.roles, UserRow.nominated, UserRow.training_completed,
                   UserRow.training_expires, UserRow.active, UserRow.locked_until,
                   UserRow.last_login_at)
            .join(UserRow, UserRow.id == ApiToken.user_id)
            .outerjoin(Partner, Partner.id == UserRow.partner_id)
            .where(ApiToken.prefix == prefix)).first()
        valid = row is not None and hmac.compare_digest(row.token_hash, _digest(secret))
        if not valid or row is None or row.revoked_at is not None or (
                row.expires_at is not None and row.expires_at <= now) or not row.active:
            raise AccessDenied("invalid or expired API token")
        if row.last_used_at is None or now - row.last_used_at >= USE_RECORDED_EVERY:
            connection.execute(update(ApiToken).where(ApiToken.id == row.id).values(
                last_used_at=now))
            connection.commit()
    return users.User(row.user_id, row.username, row.display_name, row.email, row.partner,
                      frozenset(row.roles or ()), row.nominated, row.training_completed,
                      row.training_expires, row.active, row.locked_until, row.last_login_at)


def revoke(catalog: Catalog, prefix: str, actor: str = "system") -> None:
    with catalog.session() as session:
        session.execute(update(ApiToken).where(ApiToken.prefix == prefix).values(
            revoked_at=utcnow()))
    audit.record(catalog, actor=actor, action="token.revoke", details={"token": prefix})


def revoke_all(catalog: Catalog, user_id: int) -> int:
    with catalog.session() as session:
        result = session.execute(update(ApiToken).where(
            ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None)).values(
            revoked_at=utcnow()))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
