"""Who is calling: the web app's single adapter onto governance's users, sessions and tokens.

Governance owns every decision (passwords, lockout, idle and absolute timeouts, rotation at
login, disabled users, token expiry); this module only moves its ids in and out of cookies and
headers and turns a user into the principal every read carries.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from odahub.catalog import Catalog
from odahub.errors import AccessDenied
from odahub.governance import Principal, changes, sessions, tokens, users
from odahub.governance.cached import TrustCache

Via = Literal["session", "token"]


@dataclass(frozen=True)
class Caller:
    """An authenticated caller, before the purpose of a read is attached."""

    principal: Principal
    via: Via
    session_token: str | None = None
    display_name: str = ""


# A verified session or token is trusted for a few seconds, so that a busy app does not read
# the catalog on every request (it is re-verified in the background after half of that);
# disabling a user or revoking a token in another process takes effect within this many
# seconds, in this process at once (ADR 0072, 0074).
TRUST_SECONDS = 5.0


class CallerCache:
    """Recently verified callers by a digest of their session id or token."""

    def __init__(self, ttl: float = TRUST_SECONDS) -> None:
        self.ttl = ttl
        self._cache: TrustCache[Caller] = TrustCache(ttl)

    def caller(self, catalog: Catalog, secret: str, verify: Callable[[], Caller]) -> Caller:
        """The caller behind `secret`: verified within `ttl` and since the last governance
        change this process made, else `verify()` now (AccessDenied propagates)."""
        return self._cache.get(digest(secret), changes.generation(catalog), verify)

    def forget(self, secret: str) -> None:
        self._cache.forget(digest(secret))


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
    def verify() -> Caller:
        info = sessions.touch(catalog, session_token)
        if info is None:
            raise AccessDenied("session ended")
        return Caller(principal_of(info.user), "session", session_token, info.user.display_name)

    return cache.caller(catalog, session_token, verify) if cache is not None else verify()


def from_token(catalog: Catalog, api_token: str, cache: CallerCache | None = None) -> Caller:
    """The caller behind an API token; AccessDenied when unknown, expired or revoked."""
    def verify() -> Caller:
        user = tokens.verify(catalog, api_token)
        return Caller(principal_of(user), "token", None, user.display_name)

    return cache.caller(catalog, api_token, verify) if cache is not None else verify()
