"""Risk lists per model, and practitioners' review decisions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from odahub.web.api.deps import CsrfChecked, Reader, ServingDep
from odahub.web.api.models import ReviewIn, ReviewOut, RiskListOut
from odahub.web.queries import reviews
from odahub.web.queries import risk as risk_queries

router = APIRouter(prefix="/risk", tags=["risk"])


@router.get("", response_model=list[str], summary="Models with a risk list")
def list_models(reader: Reader, serving: ServingDep) -> list[str]:
    if not risk_queries.may_see_risk(serving, reader):
        return []
    return risk_queries.models(serving)


@router.get("/{model}", response_model=RiskListOut, summary="A ranked risk list")
def risk_list(
    model: str, reader: Reader, serving: ServingDep,
    area: Annotated[str | None, Query(max_length=20)] = None,
    tier: Annotated[str | None, Query(max_length=20)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> RiskListOut:
    found = risk_queries.risk_list(serving, reader, model,
                                   risk_queries.RiskFilter(area, tier, limit, offset))
    return RiskListOut(**found)


@router.post("/{model}/reviews", response_model=ReviewOut, status_code=201,
             dependencies=[CsrfChecked], summary="Record a review decision on one row")
def review(model: str, body: ReviewIn, reader: Reader, serving: ServingDep) -> ReviewOut:
    done = reviews.record(serving, reader, reviews.Review(model, body.entity_id, body.decision,
                                                          body.reason))
    return ReviewOut(**done)
