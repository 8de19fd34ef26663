"""The area dashboard: choropleth of output areas, trends, and one area's profile."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from odahub.web.api.deps import Reader, ServingDep
from odahub.web.pages.render import render
from odahub.web.queries import areas as area_queries

router = APIRouter()


@router.get("/areas", response_class=HTMLResponse)
def areas_page(request: Request, reader: Reader, serving: ServingDep) -> HTMLResponse:
    has_map = serving.view.table("reference", "output_areas") is not None
    return render(request, "areas.html", has_map=has_map)


@router.get("/areas/{oa_code}", response_class=HTMLResponse)
def area_page(request: Request, oa_code: str, reader: Reader,
              serving: ServingDep) -> HTMLResponse:
    found = area_queries.profile(serving, reader, oa_code)
    return render(request, "area.html", profile=found, oa_code=oa_code)
