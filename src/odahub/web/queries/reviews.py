"""Practitioners' decisions on risk-list rows, recorded with the analytics stage's registry.

Risk lists are advisory: a person decides, and overrides carry a reason. The analytics stage
owns the decision record and its rules (which decisions need a reason); the web app checks
that the caller may see the list, looks up the row's score, records, and audits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from odahub.analyse import registry
from odahub.engine.sqltext import identifier as quote
from odahub.governance import Principal
from odahub.web.queries import access
from odahub.web.serving import Serving

DECISIONS: tuple[str, ...] = registry.DECISIONS
NEEDS_REASON = registry.NEEDS_REASON


@dataclass(frozen=True)
class Review:
    model: str
    entity_id: str
    decision: str
    reason: str | None = None


def scored_row(serving: Serving, model: str, entity_id: str) -> dict[str, Any] | None:
    from odahub.web.queries import risk

    view = serving.view.table("marts", f"risk_{model}")
    if view is None:
        return None
    entity = risk.entity_column(serving.view.columns(view))
    rows = serving.view.rows(
        f"SELECT * FROM {view} WHERE CAST({quote(entity)} AS VARCHAR) = ? LIMIT 1", [entity_id])
    return rows[0] if rows else None


def as_version(value: Any) -> int:
    digits = "".join(ch for ch in str(value or "") if ch.isdigit())
    return int(digits) if digits else 0


def record(serving: Serving, principal: Principal, review: Review) -> dict[str, Any]:
    from odahub.web.queries import risk

    row = scored_row(serving, review.model, review.entity_id) if (
        review.model in risk.models(serving)) else None
    if row is None or not risk.may_see_risk(serving, principal):
        access.refuse(serving, principal, "risk.review", f"{review.model}:{review.entity_id}")
    score = row.get("score")
    registry.record_decision(
        serving.hub.catalog, model=review.model, model_version=as_version(row.get("model_version")),
        entity_id=review.entity_id, decision=review.decision, decided_by=principal.username,
        reason=review.reason, score=float(score) if score is not None else None,
        tier=str(row.get("tier")) if row.get("tier") is not None else None)
    access.record(serving, principal, "risk.review", subjects=[review.entity_id],
                  details={"model": review.model, "decision": review.decision})
    return {"model": review.model, "entity_id": review.entity_id, "decision": review.decision,
            "reason": review.reason, "by": principal.username}


def latest(serving: Serving, model: str) -> dict[str, dict[str, Any]]:
    """The newest decision on each entity of this model's list."""
    found: dict[str, dict[str, Any]] = {}
    for decision in registry.decisions(serving.hub.catalog, model):
        found[decision.entity_id] = {"decision": decision.decision, "reason": decision.reason,
                                     "by": decision.decided_by, "at": decision.decided_at}
    return found
