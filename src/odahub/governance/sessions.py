"""Server-side sessions: random ids (only their SHA-256 stored), idle and absolute timeouts,
a fresh id at every login, all ended when the user is disabled."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from odahub.catalog import Catalog
from odahub.catalog.base import utcnow
from odahub.catalog.tables.governance import User as UserRow
from odahub.catalog.tables.governance import UserSession
from odahub.governance import users


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)


DEFAULT_POLICY = SessionPolicy()
# Activity is written back at most this often per session: a busy app does not write the
# catalog on every request, and the idle timeout is exact to within this much.
TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class SessionInfo:
    user: users.User
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime


def digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def create(catalog: Catalog, user_id: int, *, replaces: str | None = None,
           client: str | None = None, now: datetime | None = None,
           policy: SessionPolicy = DEFAULT_POLICY) -> str:
    """Start a session after a successful login; the id it replaces (if any) ends now."""
    now = now or utcnow()
    session_id = secrets.token_urlsafe(32)
    with catalog.session() as session:
        if replaces:
            _end(session, digest(replaces), "rotated", now)
        session.add(UserSession(id=digest(session_id), user_id=user_id, created_at=now,
                                last_seen_at=now, expires_at=now + policy.absolute,
                                client=(client or "")[:255] or None))
    return session_id


def lookup(catalog: Catalog, session_id: str, *, now: datetime | None = None,
           policy: SessionPolicy = DEFAULT_POLICY) -> SessionInfo | None:
    """The live session of this id, or None (unknown, ended, idle, too old, user disabled)."""
    return _live(catalog, session_id, now or utcnow(), policy, touch=False)


def touch(catalog: Catalog, session_id: str, *, now: datetime | None = None,
          policy: SessionPolicy = DEFAULT_POLICY) -> SessionInfo | None:
    """Like lookup, and records activity (resets the idle timer)."""
    return _live(catalog, session_id, now or utcnow(), policy, touch=True)


def _live(catalog: Catalog, session_id: str, now: datetime, policy: SessionPolicy,
          touch: bool) -> SessionInfo | None:
    with catalog.session() as session:
        row = session.get(UserSession, digest(session_id))
        if row is None or row.ended_at is not None:
            return None
        user_row = session.get(UserRow, row.user_id)
        reason = None
        if user_row is None or not user_row.active:
            reason = "user disabled"
        elif now >= row.expires_at:
            reason = "absolute timeout"
        elif now - row.last_seen_at >= policy.idle:
            reason = "idle timeout"
        if reason is not None:
            row.ended_at, row.ended_reason = now, reason
            return None
        if touch and now - row.last_seen_at >= TOUCH_EVERY:
            row.last_seen_at = now
        assert user_row is not None
        return SessionInfo(users.to_user(session, user_row), row.created_at, row.last_seen_at,
                           row.expires_at)


def rotate(catalog: Catalog, session_id: str, *, now: datetime | None = None,
           policy: SessionPolicy = DEFAULT_POLICY) -> str | None:
    """A new id for a live session (e.g. on privilege change); the old id stops working."""
    info = lookup(catalog, session_id, now=now, policy=policy)
    if info is None:
        return None
    return create(catalog, info.user.id, replaces=session_id, now=now, policy=policy)


def _end(session: object, key: str, reason: str, now: datetime) -> None:
    session.execute(update(UserSession).where(  # type: ignore[attr-defined]
        UserSession.id == key, UserSession.ended_at.is_(None)).values(
        ended_at=now, ended_reason=reason))


def end(catalog: Catalog, session_id: str, reason: str = "logout") -> None:
    with catalog.session() as session:
        _end(session, digest(session_id), reason, utcnow())


def end_all(catalog: Catalog, user_id: int, reason: str = "ended") -> int:
    with catalog.session() as session:
        result = session.execute(update(UserSession).where(
            UserSession.user_id == user_id, UserSession.ended_at.is_(None)).values(
            ended_at=utcnow(), ended_reason=reason))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


def live_count(catalog: Catalog, user_id: int) -> int:
    with catalog.session() as session:
        return len(session.scalars(select(UserSession.id).where(
            UserSession.user_id == user_id, UserSession.ended_at.is_(None))).all())
