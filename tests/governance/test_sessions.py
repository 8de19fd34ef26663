"""Login, lockout, sessions (idle/absolute timeouts, rotation), tokens and disabling."""

from __future__ import annotations

from datetime import timedelta

import pytest

from odahub.catalog.base import utcnow
from odahub.errors import AccessDenied, SpecError
from odahub.governance import audit, passwords, sessions, tokens, users
from odahub.hub import Hub

from .conftest import PASSWORD, add_user


def test_password_policy_lists_every_problem() -> None:
    with pytest.raises(SpecError) as caught:
        passwords.check_policy("password1", "alice")
    assert [p.message for p in caught.value.problems] == [
        "must be at least 12 characters long", "is too common"]
    with pytest.raises(SpecError):
        passwords.check_policy("alice-in-wonderland", "alice")
    with pytest.raises(SpecError):
        passwords.check_policy("Password123!", "bob")  # common once digits are stripped
    passwords.check_policy(PASSWORD, "alice")


def test_passwords_are_argon2_hashed(gov_hub: Hub) -> None:
    from odahub.catalog.tables.governance import User as UserRow

    add_user(gov_hub, "alice", password=PASSWORD)
    with gov_hub.catalog.session() as session:
        stored = session.query(UserRow).filter_by(username="alice").one().password_hash
    assert stored is not None and stored.startswith("$argon2id$") and PASSWORD not in stored


def test_login_lockout_after_repeated_failures(gov_hub: Hub) -> None:
    add_user(gov_hub, "alice", password=PASSWORD)
    assert users.authenticate(gov_hub.catalog, "alice", PASSWORD).username == "alice"
    now = utcnow()
    for _ in range(users.MAX_FAILED_LOGINS):
        with pytest.raises(AccessDenied, match="invalid username or password|locked"):
            users.authenticate(gov_hub.catalog, "alice", "wrong password!", now=now)
    with pytest.raises(AccessDenied, match="locked"):  # even the right password, while locked
        users.authenticate(gov_hub.catalog, "alice", PASSWORD, now=now + timedelta(minutes=1))
    later = now + users.LOCKOUT + timedelta(seconds=1)
    assert users.authenticate(gov_hub.catalog, "alice", PASSWORD, now=later).username == "alice"
    with pytest.raises(AccessDenied, match="invalid username or password"):
        users.authenticate(gov_hub.catalog, "nobody", PASSWORD)
    logins = audit.entries(gov_hub.catalog, action="login")
    assert sum(e["outcome"] == "denied" for e in logins) == users.MAX_FAILED_LOGINS + 2
    assert sum(e["outcome"] == "allowed" for e in logins) == 2


def test_sessions_idle_and_absolute_timeouts(gov_hub: Hub) -> None:
    user = add_user(gov_hub, "alice", password=PASSWORD)
    start = utcnow()
    policy = sessions.SessionPolicy(idle=timedelta(minutes=30), absolute=timedelta(hours=2))
    sid = sessions.create(gov_hub.catalog, user.id, now=start, policy=policy)
    # Kept alive by activity every 20 minutes, until the absolute limit.
    moment = start
    while moment + timedelta(minutes=20) < start + policy.absolute:
        moment += timedelta(minutes=20)
        info = sessions.touch(gov_hub.catalog, sid, now=moment, policy=policy)
        assert info is not None and info.user.username == "alice"
    assert sessions.touch(gov_hub.catalog, sid, now=start + policy.absolute,
                          policy=policy) is None
    idle = sessions.create(gov_hub.catalog, user.id, now=start, policy=policy)
    assert sessions.lookup(gov_hub.catalog, idle, now=start + timedelta(minutes=29),
                           policy=policy) is not None
    assert sessions.lookup(gov_hub.catalog, idle, now=start + timedelta(minutes=31),
                           policy=policy) is None
    # Once ended by a timeout it stays ended.
    assert sessions.lookup(gov_hub.catalog, idle, now=start, policy=policy) is None


def test_session_id_rotates_at_login_and_logout_ends_it(gov_hub: Hub) -> None:
    user = add_user(gov_hub, "alice", password=PASSWORD)
    first = sessions.create(gov_hub.catalog, user.id)
    second = sessions.create(gov_hub.catalog, user.id, replaces=first)
    assert first != second
    assert sessions.lookup(gov_hub.catalog, first) is None
    assert sessions.lookup(gov_hub.catalog, second) is not None
    third = sessions.rotate(gov_hub.catalog, second)
    assert third is not None and sessions.lookup(gov_hub.catalog, second) is None
    sessions.end(gov_hub.catalog, third)
    assert sessions.lookup(gov_hub.catalog, third) is None
    assert sessions.lookup(gov_hub.catalog, "never-issued") is None


def test_session_ids_are_not_stored(gov_hub: Hub) -> None:
    from odahub.catalog.tables.governance import UserSession

    user = add_user(gov_hub, "alice")
    sid = sessions.create(gov_hub.catalog, user.id)
    with gov_hub.catalog.session() as session:
        stored = [row.id for row in session.query(UserSession).all()]
    assert stored == [sessions.digest(sid)] and sid not in stored


def test_api_tokens_shown_once_hashed_expire_and_revoke(gov_hub: Hub) -> None:
    from odahub.catalog.tables.governance import ApiToken

    add_user(gov_hub, "alice")
    token = tokens.issue(gov_hub.catalog, "alice", name="script")
    assert tokens.verify(gov_hub.catalog, token).username == "alice"
    with gov_hub.catalog.session() as session:
        row = session.query(ApiToken).one()
        assert token.split("_", 2)[2] not in row.token_hash
    with pytest.raises(AccessDenied):
        tokens.verify(gov_hub.catalog, token[:-1] + ("A" if token[-1] != "A" else "B"))
    with pytest.raises(AccessDenied):
        tokens.verify(gov_hub.catalog, token, now=utcnow() + timedelta(days=91))
    tokens.revoke(gov_hub.catalog, row.prefix)
    with pytest.raises(AccessDenied):
        tokens.verify(gov_hub.catalog, token)


def test_disabling_a_user_ends_sessions_tokens_and_logins(gov_hub: Hub) -> None:
    user = add_user(gov_hub, "alice", password=PASSWORD)
    sids = [sessions.create(gov_hub.catalog, user.id) for _ in range(3)]
    token = tokens.issue(gov_hub.catalog, "alice")
    users.set_active(gov_hub.catalog, "alice", False, actor="admin")
    assert all(sessions.lookup(gov_hub.catalog, sid) is None for sid in sids)
    assert sessions.live_count(gov_hub.catalog, user.id) == 0
    with pytest.raises(AccessDenied):
        tokens.verify(gov_hub.catalog, token)
    with pytest.raises(AccessDenied):
        users.authenticate(gov_hub.catalog, "alice", PASSWORD)
    with pytest.raises(AccessDenied):
        users.principal_for(gov_hub.catalog, "alice", "early_help")
    users.set_active(gov_hub.catalog, "alice", True)
    assert all(sessions.lookup(gov_hub.catalog, sid) is None for sid in sids)  # still ended
    assert users.authenticate(gov_hub.catalog, "alice", PASSWORD).active


def test_trust_cache_refreshes_ahead_and_never_serves_past_its_ttl(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    from odahub.governance import cached

    clock = [100.0]
    monkeypatch.setattr(cached.time, "monotonic", lambda: clock[0])
    reads: list[int] = []
    value = [1]
    done = threading.Event()

    def read() -> int:
        reads.append(value[0])
        done.set()
        if value[0] < 0:
            raise AccessDenied("ended")
        return value[0]

    cache: cached.TrustCache[int] = cached.TrustCache(ttl=10)
    assert cache.get("k", 0, read) == 1 and reads == [1]
    clock[0] += 4
    assert cache.get("k", 0, read) == 1 and reads == [1]  # young: no read at all
    value[0] = 2
    done.clear()
    clock[0] += 2  # older than ttl/2: served as is, reloaded in the background
    assert cache.get("k", 0, read) == 1
    assert done.wait(30)
    for _ in range(3000):  # the reload lands soon after (waits, asserts no duration)
        if cache.get("k", 0, read) == 2:
            break
        threading.Event().wait(0.01)
    assert cache.get("k", 0, read) == 2 and reads == [1, 2]
    assert cache.get("k", 1, read) == 2 and reads[-1] == 2  # a new generation: read again
    value[0] = -1
    clock[0] += 11  # past the ttl: read now, and a refusal propagates
    with pytest.raises(AccessDenied):
        cache.get("k", 1, read)
    value[0] = 3
    assert cache.get("k", 1, read) == 3
    cache.forget("k")
    value[0] = 4
    assert cache.get("k", 1, read) == 4
