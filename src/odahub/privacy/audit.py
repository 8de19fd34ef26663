"""Privacy actions into the governance audit log (hash-chained, append-only)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from odahub.governance import attach
from odahub.governance import audit as audit_log
from odahub.hub import Hub


def audit(hub: Hub, *, actor: str, action: str, outcome: str = "allowed",
          purpose: str | None = None, justification: str | None = None,
          subjects: Iterable[str] = (), details: Mapping[str, Any] | None = None,
          dataset: str | None = None) -> int:
    attach(hub)  # binds this hub's audit trail to its catalog (idempotent)
    return audit_log.record(hub.catalog, actor=actor, action=action, purpose=purpose,
                            justification=justification, dataset=dataset, subjects=subjects,
                            details=details, outcome=outcome)
