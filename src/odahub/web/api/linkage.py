"""The clerical review queue of the link stage: side-by-side records with match weights."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from odahub.web.api.deps import CsrfChecked, Reader, ServingDep
from odahub.web.queries import linkage as linkage_queries

router = APIRouter(prefix="/linkage", tags=["linkage"])


class LinkDecisionIn(BaseModel):
    decision: str
    note: str | None = None


@router.get("/reviews", summary="Pairs waiting for a person to decide")
def review_queue(reader: Reader, serving: ServingDep) -> list[dict[str, Any]]:
    return linkage_queries.queue(serving, reader)


@router.post("/reviews/{review_id}", dependencies=[CsrfChecked],
             summary="Accept (always link), reject (never link) or withdraw a decision")
def decide(review_id: int, body: LinkDecisionIn, reader: Reader,
           serving: ServingDep) -> dict[str, Any]:
    return linkage_queries.decide(serving, reader, review_id, body.decision, body.note)
