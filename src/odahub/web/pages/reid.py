"""Re-identification pages: request from a pseudonymised person, approve, reveal."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from odahub.errors import SpecError
from odahub.web.api.deps import CsrfChecked, CurrentUser, Reader, ServingDep
from odahub.web.pages.render import render
from odahub.web.queries import reid

router = APIRouter()


@router.get("/reid", response_class=HTMLResponse)
def reid_page(request: Request, principal: CurrentUser, serving: ServingDep) -> HTMLResponse:
    return render(request, "reid.html", requests=reid.requests(serving, principal), error=None)


@router.post("/reid", dependencies=[CsrfChecked])
def file_request(request: Request, reader: Reader, serving: ServingDep,
                 person_id: Annotated[str, Form(max_length=40)],
                 owning_partner: Annotated[str, Form(max_length=64)],
                 justification: Annotated[str, Form(max_length=1000)] = "",
                 dpia_ref: Annotated[str, Form(max_length=128)] = "") -> Response:
    try:
        reid.file_request(serving, reader, subjects=[person_id], owning_partner=owning_partner,
                          justification=justification, dpia_ref=dpia_ref)
    except SpecError as error:
        return render(request, "reid.html", 400, requests=reid.requests(serving, reader),
                      error=error.message)
    return RedirectResponse("/reid", status_code=303)


@router.post("/reid/{request_id}/decision", dependencies=[CsrfChecked])
def decide(request_id: int, principal: CurrentUser, serving: ServingDep,
           decision: Annotated[str, Form(max_length=16)],
           note: Annotated[str, Form(max_length=1000)] = "") -> Response:
    reid.decide(serving, principal, request_id, decision == "approve", note.strip() or None)
    return RedirectResponse("/reid", status_code=303)


@router.get("/reid/{request_id}/reveal", response_class=HTMLResponse)
def reveal(request: Request, request_id: int, principal: CurrentUser,
           serving: ServingDep) -> HTMLResponse:
    rows = reid.reveal(serving, principal, request_id)
    return render(request, "reid_reveal.html", rows=rows, request_id=request_id)
