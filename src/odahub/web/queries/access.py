"""Policy and audit, as the query layer uses them (one place, so no query can forget either)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NoReturn

from odahub.errors import NotFound
from odahub.governance import Level, Principal, audit, policy
from odahub.governance.policy import Access
from odahub.web.serving import Serving


def readable(serving: Serving, principal: Principal, level: Level) -> dict[str, Access]:
    """Every dataset this principal may read at this level, for its purpose (deny by default).

    Decided for every read on today's date; only the inputs (the user's row, the purpose's
    agreements and grants) are reused for a few seconds (ADR 0074)."""
    return policy.readable(serving.hub.catalog, principal, level, cache=serving.policy)


def best_level(serving: Serving, principal: Principal) -> Level:
    """Identified where any agreement allows it for this purpose, else pseudonymised."""
    return "identified" if readable(serving, principal, "identified") else "pseudonymised"


def record(serving: Serving, principal: Principal, action: str, *,
           subjects: Iterable[str] = (), dataset: str | None = None,
           details: dict[str, Any] | None = None, outcome: str = "allowed") -> None:
    audit.record(serving.hub.catalog, actor=principal.username, action=action,
                 purpose=principal.purpose, justification=principal.justification,
                 dataset=dataset, subjects=tuple(subjects), details=details, outcome=outcome)


def refuse(serving: Serving, principal: Principal, action: str, subject: str) -> NoReturn:
    """Audit the refusal, then answer exactly as if the thing did not exist."""
    record(serving, principal, action, subjects=(subject,), outcome="denied")
    raise NotFound(f"nothing found for {subject!r}")


def has_role(principal: Principal, *roles: str) -> bool:
    return bool(principal.roles & set(roles))
