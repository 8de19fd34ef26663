"""Re-identification requests, approvals and reveals."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from odahub.web.api.deps import CsrfChecked, CurrentUser, Reader, ServingDep
from odahub.web.queries import reid

router = APIRouter(prefix="/reid", tags=["re-identification"])


class ReidIn(BaseModel):
    subjects: list[str] = Field(min_length=1, max_length=50)
    owning_partner: str = Field(max_length=64)
    justification: str = Field(max_length=1000)
    dpia_ref: str = Field(max_length=128)


class DecisionIn(BaseModel):
    approve: bool
    note: str | None = Field(default=None, max_length=1000)
    days: int | None = Field(default=None, ge=1, le=90)


@router.get("", summary="Requests you made, may decide, or oversee")
def list_requests(principal: CurrentUser, serving: ServingDep) -> list[dict[str, Any]]:
    return reid.requests(serving, principal)


@router.post("", status_code=201, dependencies=[CsrfChecked],
             summary="Ask the owning partner to re-identify named subjects")
def file_request(body: ReidIn, reader: Reader, serving: ServingDep) -> dict[str, Any]:
    return reid.file_request(serving, reader, subjects=body.subjects,
                             owning_partner=body.owning_partner,
                             justification=body.justification, dpia_ref=body.dpia_ref)


@router.post("/{request_id}/decision", dependencies=[CsrfChecked],
             summary="Approve or reject (a data owner of the owning partner)")
def decide(request_id: int, body: DecisionIn, principal: CurrentUser,
           serving: ServingDep) -> dict[str, Any]:
    return reid.decide(serving, principal, request_id, body.approve, body.note, body.days)


@router.get("/{request_id}/reveal", summary="The identified records of an approved request")
def reveal(request_id: int, principal: CurrentUser, serving: ServingDep) -> list[dict[str, Any]]:
    return reid.reveal(serving, principal, request_id)
