"""Benefits realisation and the portfolio of funded bids."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from odahub.web.api.deps import CurrentUser, ServingDep
from odahub.web.pages.render import render
from odahub.web.queries import benefits

router = APIRouter()


@router.get("/benefits", response_class=HTMLResponse)
def benefits_page(request: Request, principal: CurrentUser, serving: ServingDep) -> HTMLResponse:
    return render(request, "benefits.html", **benefits.overview(serving))
