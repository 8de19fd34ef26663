"""Search and the person view."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from odahub.governance import agreements
from odahub.web.api.deps import CurrentUser, Reader, ServingDep
from odahub.web.api.models import Me, PersonOut, SearchOut
from odahub.web.queries import person, search

router = APIRouter(tags=["people"])
LevelParam = Annotated[Literal["identified", "pseudonymised"] | None,
                       Query(description="Default: identified where policy allows it")]


@router.get("/me", response_model=Me, summary="Who you are and which purposes exist")
def me(principal: CurrentUser, serving: ServingDep) -> Me:
    return Me(username=principal.username, partner=principal.partner,
              roles=sorted(principal.roles), purpose=principal.purpose,
              purposes=agreements.purposes(serving.hub.catalog))


@router.get("/search", response_model=SearchOut, summary="Find people")
def search_people(
    reader: Reader, serving: ServingDep,
    name: Annotated[str | None, Query(max_length=100, description="Fuzzy: 'Jo Smith'")] = None,
    date_of_birth: date | None = None,
    postcode: Annotated[str | None, Query(max_length=10)] = None,
    nhs_number: Annotated[str | None, Query(max_length=14)] = None,
    nominal_id: Annotated[str | None, Query(max_length=40)] = None,
    level: LevelParam = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
) -> SearchOut:
    query = search.SearchQuery(name=name or None, date_of_birth=date_of_birth,
                               postcode=postcode or None, nhs_number=nhs_number or None,
                               nominal_id=nominal_id or None, limit=limit)
    found = search.search(serving, reader, query, level)
    return SearchOut(level=found.level, note=found.note, hits=found.hits)


@router.get("/persons/{person_id}", response_model=PersonOut,
            summary="The multi-agency view of one person")
def get_person(person_id: str, reader: Reader, serving: ServingDep,
               level: LevelParam = None) -> PersonOut:
    view = person.person_view(serving, reader, person_id, level)
    return PersonOut(**{k: v for k, v in view.__dict__.items() if k != "notes"})
