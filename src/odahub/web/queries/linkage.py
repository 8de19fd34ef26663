"""Clerical review of uncertain links (the link stage's queue): pairs side by side.

A pair is shown only when both records come from datasets the principal may read identified
(a reviewer must see names to judge); decisions go back through the link stage's own function.
"""

from __future__ import annotations

from typing import Any

from odahub.governance import Principal
from odahub.link import review
from odahub.web.queries import access
from odahub.web.queries.sources import keys_join, union_sql
from odahub.web.serving import Serving

SHOWN = {"first_name": "VARCHAR", "last_name": "VARCHAR", "date_of_birth": "DATE",
         "sex": "VARCHAR", "postcode": "VARCHAR", "nhs_number": "VARCHAR"}
DECISIONS = tuple(review.DECISIONS)


def split(name: str) -> tuple[str, str]:
    dataset, _, record_id = name.partition(":")
    return dataset, record_id


def visible_items(serving: Serving, principal: Principal,
                  limit: int) -> tuple[list[review.ReviewItem], dict[str, Any]]:
    readable = access.readable(serving, principal, "identified")
    items = [item for item in review.queue(serving.hub.catalog, "pending", limit * 4)
             if split(item.record_a)[0] in readable and split(item.record_b)[0] in readable]
    return items[:limit], readable


def queue(serving: Serving, principal: Principal, limit: int = 20) -> list[dict[str, Any]]:
    items, readable = visible_items(serving, principal, limit)
    if not items:
        return []
    keys = [{"dataset": d, "record_id": r} for item in items
            for d, r in (split(item.record_a), split(item.record_b))]
    records = union_sql(serving, "identified", readable, SHOWN)
    found: dict[str, dict[str, Any]] = {}
    if records is not None:
        for row in serving.view.rows(f"SELECT * FROM ({records}) {keys_join(keys)}"):
            found[f"{row['dataset']}:{row['record_id']}"] = row
    pairs = [{"id": item.id, "match_probability": item.match_probability,
              "match_weight": item.match_weight, "record_a": item.record_a,
              "record_b": item.record_b, "left": found.get(item.record_a, {}),
              "right": found.get(item.record_b, {})} for item in items]
    access.record(serving, principal, "linkage.queue",
                  subjects=[str(p[side]) for p in pairs for side in ("record_a", "record_b")],
                  details={"pairs": len(pairs)})
    return pairs


def decide(serving: Serving, principal: Principal, review_id: int, decision: str,
           note: str | None) -> dict[str, Any]:
    items, _ = visible_items(serving, principal, 10_000)
    if review_id not in {item.id for item in items}:
        access.refuse(serving, principal, "linkage.decide", str(review_id))
    done = review.decide(serving.hub.catalog, review_id, decision, by=principal.username,
                         note=note)
    access.record(serving, principal, "linkage.decide", subjects=[done.record_a, done.record_b],
                  details={"review": review_id, "decision": decision})
    return {"id": done.id, "status": done.status, "decided_by": done.decided_by}
