"""Risk lists and review decisions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse

from odahub.errors import SpecError
from odahub.web.api.deps import CsrfChecked, Reader, ServingDep
from odahub.web.pages.render import render
from odahub.web.queries import reviews
from odahub.web.queries import risk as risk_queries

router = APIRouter()


@router.get("/risk", response_class=HTMLResponse)
def risk_index(request: Request, reader: Reader, serving: ServingDep) -> HTMLResponse:
    models = risk_queries.models(serving) if risk_queries.may_see_risk(serving, reader) else []
    return render(request, "risk_index.html", models=models)


@router.get("/risk/{model}", response_class=HTMLResponse)
def risk_page(request: Request, model: str, reader: Reader, serving: ServingDep,
              area: Annotated[str, Query(max_length=20)] = "",
              tier: Annotated[str, Query(max_length=20)] = "",
              page: Annotated[int, Query(ge=1, le=10_000)] = 1) -> HTMLResponse:
    size = 25
    found = risk_queries.risk_list(serving, reader, model, risk_queries.RiskFilter(
        area or None, tier or None, size, (page - 1) * size))
    return render(request, "risk_list.html", risk=found, area=area, tier=tier, page=page,
                  size=size, decisions=reviews.DECISIONS)


@router.post("/risk/{model}/reviews", response_class=HTMLResponse,
             dependencies=[CsrfChecked])
def review(request: Request, model: str, reader: Reader, serving: ServingDep,
           entity_id: Annotated[str, Form(max_length=64)],
           decision: Annotated[str, Form(max_length=16)],
           reason: Annotated[str, Form(max_length=1000)] = "") -> HTMLResponse:
    try:
        done = reviews.record(serving, reader, reviews.Review(model, entity_id, decision,
                                                              reason.strip() or None))
    except SpecError as error:
        return render(request, "review_result.html", 422, error=error, done=None,
                      entity_id=entity_id)
    return render(request, "review_result.html", error=None, done=done, entity_id=entity_id)
