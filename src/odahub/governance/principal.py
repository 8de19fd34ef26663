"""Who is asking, and why: the principal every read of partner data carries."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

Level = Literal["pseudonymised", "identified"]
LEVELS: tuple[Level, ...] = ("pseudonymised", "identified")
ROLES = ("hub_admin", "data_owner", "analyst", "practitioner", "auditor")

# The most each role may ever see, whatever an agreement says (deny by default): analysts work
# on pseudonymised data only; auditors read the audit log, never partner data.
ROLE_CEILING: dict[str, frozenset[str]] = {
    "hub_admin": frozenset({"pseudonymised"}),
    "data_owner": frozenset({"pseudonymised", "identified"}),
    "analyst": frozenset({"pseudonymised"}),
    "practitioner": frozenset({"pseudonymised", "identified"}),
    "auditor": frozenset(),
}


@dataclass(frozen=True)
class Principal:
    """A user acting for a purpose, resolved at the edge and passed into every read."""

    username: str
    partner: str | None
    roles: frozenset[str]
    purpose: str | None = None
    justification: str | None = None
    user_id: int | None = None

    def for_purpose(self, purpose: str | None, justification: str | None = None) -> Principal:
        """The same user acting for another purpose (each read names its own)."""
        return replace(self, purpose=purpose, justification=justification)
