"""Governance pages and the linkage review queue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from odahub.web.api.deps import CsrfChecked, CurrentUser, Reader, ServingDep
from odahub.web.pages.render import render
from odahub.web.queries import access, linkage, oversight

router = APIRouter()


@router.get("/governance", response_class=HTMLResponse)
def governance_page(request: Request, principal: CurrentUser,
                    serving: ServingDep) -> HTMLResponse:
    return render(request, "governance.html", agreements=oversight.list_agreements(serving),
                  overseer=access.has_role(principal, *oversight.OVERSEERS),
                  owner=access.has_role(principal, "data_owner"))


@router.get("/governance/users", response_class=HTMLResponse)
def users_page(request: Request, principal: CurrentUser, serving: ServingDep) -> HTMLResponse:
    return render(request, "gov_users.html", users=oversight.list_users(serving, principal))


@router.get("/governance/audit", response_class=HTMLResponse)
def audit_page(request: Request, principal: CurrentUser, serving: ServingDep,
               actor: str = "", action: str = "") -> HTMLResponse:
    return render(request, "gov_audit.html",
                  entries=oversight.audit_entries(serving, principal, actor or None,
                                                  action or None, 200),
                  chain=oversight.chain_status(serving, principal), actor=actor, action=action)


@router.get("/governance/usage", response_class=HTMLResponse)
def usage_page(request: Request, principal: CurrentUser, serving: ServingDep) -> HTMLResponse:
    return render(request, "gov_usage.html", usage=oversight.usage(serving, principal),
                  viewed=oversight.who_viewed(serving, principal)
                  if access.has_role(principal, "data_owner") else None,
                  rights=oversight.rights_requests(serving, principal))


@router.get("/linkage", response_class=HTMLResponse)
def linkage_page(request: Request, reader: Reader, serving: ServingDep) -> HTMLResponse:
    return render(request, "linkage.html", pairs=linkage.queue(serving, reader))


@router.post("/linkage/{review_id}", response_class=HTMLResponse, dependencies=[CsrfChecked])
def linkage_decide(request: Request, review_id: int, reader: Reader, serving: ServingDep,
                   decision: Annotated[str, Form(max_length=16)],
                   note: Annotated[str, Form(max_length=500)] = "") -> HTMLResponse:
    done = linkage.decide(serving, reader, review_id, decision, note.strip() or None)
    return HTMLResponse(f'<p class="decided" role="status">Recorded: {done["status"]}</p>')
