"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

from collections.abc import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from odahub.errors import ProblemCollector, SpecError
from odahub.governance.common_passwords import COMMON_PASSWORDS

MIN_LENGTH = 12
# argon2id at OWASP's recommended minimum (19 MiB, 2 passes, 1 lane): strong against offline
# guessing and cheap enough for many logins on a small shared server (ADR 0051). Hashes made
# with other parameters still verify and are upgraded at the next login (needs_rehash).
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verified against when the user is unknown, so a miss costs as long as a wrong password.
_DUMMY_HASH = _HASHER.hash("odahub-timing-equaliser")


def check_policy(password: str, username: str = "", extra: Iterable[str] = ()) -> None:
    """Raise SpecError listing every rule the password breaks."""
    problems = ProblemCollector()
    if len(password) < MIN_LENGTH:
        problems.add(f"must be at least {MIN_LENGTH} characters long")
    lowered = password.lower()
    common = COMMON_PASSWORDS | {word.lower() for word in extra}
    if lowered in common or lowered.rstrip("0123456789!?.") in common:
        problems.add("is too common")
    if username and username.lower() in lowered:
        problems.add("must not contain the username")
    if len(set(password)) < 4:
        problems.add("uses too few different characters")
    problems.raise_if_any(SpecError, "the password is not acceptable")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _HASHER.check_needs_rehash(password_hash)
