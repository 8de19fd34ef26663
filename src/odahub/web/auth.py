"""Who is calling: the web app's single adapter onto governance's users, sessions and tokens.

Governance owns every decision (passwords, lockout, idle and absolute timeouts, rotation at
login, disabled users, token expiry); this module only moves its ids in and out of cookies and
headers and turns a user into the principal every read carries.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from typing import Literal

from odahub.catalog import Catalog
from odahub.errors import AccessDenied
from odahub.governance import Principal, sessions, tokens, users

Via = Literal["session", "token"]


@dataclass(frozen=True)
class Caller:
    """An authenticated caller, before the purpose of a read is attached."""

    principal: Principal
    via: Via
    session_token: str | None = None
    display_name: str = ""


# A verified session or token is trusted for a few seconds, so that a busy app does not write
# "last seen" to the catalog on every request; disabling a user or ending a session therefore
# takes effect within this many seconds (ADR 0072).
TRUST_SECONDS = 5.0


@dataclass
class CallerCache:
    """Recently verified callers by a digest of their session id or token."""

    ttl: float = TRUST_SECONDS
    _entries: dict[str, tuple[float, Caller]] = field(default_factory=dict)

    def get(self, secret: str) -> Caller | None:
        found = self._entries.get(digest(secret))
        if found is None or time.monotonic() - found[0] > self.ttl:
            return None
        return found[1]

    def put(self, secret: str, caller: Caller) -> Caller:
        if len(self._entries) > 10_000:  # many short-lived callers: start afresh
            self._entries.clear()
        self._entries[digest(secret)] = (time.monotonic(), caller)
        return caller

    def forget(self, secret: str) -> None:
        self._entries.pop(digest(secret), None)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def principal_of(user: users.User) -> Principal:
    return Principal(username=user.username, partner=user.partner, roles=user.roles,
                     user_id=user.id)


def login(catalog: Catalog, username: str, password: str, *, client: str | None,
          replaces: str | None = None) -> str:
    """Check the password and start a fresh session (ending the one it replaces)."""
    user = users.authenticate(catalog, username, password)
    return sessions.create(catalog, user.id, replaces=replaces, client=client)


def logout(catalog: Catalog, session_token: str, cache: CallerCache | None = None) -> None:
    sessions.end(catalog, session_token)
    if cache is not None:
        cache.forget(session_token)


def from_session(catalog: Catalog, session_token: str,
                 cache: CallerCache | None = None) -> Caller:
    """The caller behind a session cookie; AccessDenied when unknown, ended or timed out."""
    known = cache.get(session_token) if cache is not None else None
    if known is not None:
        return known
    info = sessions.touch(catalog, session_token)
    if info is None:
        raise AccessDenied("session ended")
    caller = Caller(principal_of(info.user), "session", session_token, info.user.display_name)
    return cache.put(session_token, caller) if cache is not None else caller


def from_token(catalog: Catalog, api_token: str, cache: CallerCache | None = None) -> Caller:
    """The caller behind an API token; AccessDenied when unknown, expired or revoked."""
    known = cache.get(api_token) if cache is not None else None
    if known is not None:
        return known
    user = tokens.verify(catalog, api_token)
    caller = Caller(principal_of(user), "token", None, user.display_name)
    return cache.put(api_token, caller) if cache is not None else caller
