"""Search and the person view."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from odahub.web.api.deps import Reader, ServingDep
from odahub.web.pages.render import render
from odahub.web.queries import person, search

router = APIRouter()


def parse_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request, reader: Reader, serving: ServingDep,
    name: Annotated[str, Query(max_length=100)] = "",
    date_of_birth: Annotated[str, Query(max_length=10)] = "",
    postcode: Annotated[str, Query(max_length=10)] = "",
    nhs_number: Annotated[str, Query(max_length=14)] = "",
    nominal_id: Annotated[str, Query(max_length=40)] = "",
    level: Literal["identified", "pseudonymised", ""] = "",
) -> HTMLResponse:
    query = search.SearchQuery(name=name or None, date_of_birth=parse_date(date_of_birth),
                               postcode=postcode or None, nhs_number=nhs_number or None,
                               nominal_id=nominal_id or None)
    result = search.search(serving, reader, query, level or None)
    form = {"name": name, "date_of_birth": date_of_birth, "postcode": postcode,
            "nhs_number": nhs_number, "nominal_id": nominal_id}
    template = "search_results.html" if request.headers.get("hx-request") else "search.html"
    return render(request, template, form=form, result=result, searched=not query.is_empty())


@router.get("/persons/{person_id}", response_class=HTMLResponse)
def person_page(request: Request, person_id: str, reader: Reader,
                serving: ServingDep) -> HTMLResponse:
    view = person.person_view(serving, reader, person_id)
    return render(request, "person.html", person=view)
