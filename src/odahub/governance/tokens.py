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
from odahub.catalog.tables.governance import ApiToken
from odahub.catalog.tables.governance import User as UserRow
from odahub.errors import AccessDenied
from odahub.governance import audit, users

PREFIX = "odh_"


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
    """The active user a token belongs to; AccessDenied if unknown, revoked or expired."""
    now = now or utcnow()
    body = token.removeprefix(PREFIX)
    prefix, _, secret = body.partition("_")
    with catalog.session() as session:
        row = session.scalar(select(ApiToken).where(ApiToken.prefix == prefix))
        valid = row is not None and hmac.compare_digest(row.token_hash, _digest(secret))
        if not valid or row is None or row.revoked_at is not None or (
                row.expires_at is not None and row.expires_at <= now):
            raise AccessDenied("invalid or expired API token")
        user_row = session.get(UserRow, row.user_id)
        if user_row is None or not user_row.active:
            raise AccessDenied("invalid or expired API token")
        row.last_used_at = now
        return users.to_user(session, user_row)


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
