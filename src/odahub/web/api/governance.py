"""Governance: agreements, users and training, audit log and chain, usage, who viewed my data."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from odahub.web.api.deps import CurrentUser, ServingDep
from odahub.web.api.models import AgreementOut, VerificationOut
from odahub.web.queries import oversight

router = APIRouter(prefix="/governance", tags=["governance"])


@router.get("/agreements", response_model=list[AgreementOut], summary="Sharing agreements")
def agreements(principal: CurrentUser, serving: ServingDep) -> list[AgreementOut]:
    return [AgreementOut(**a) for a in oversight.list_agreements(serving)]


@router.get("/users", summary="Users and their training status")
def users(principal: CurrentUser, serving: ServingDep) -> list[dict[str, Any]]:
    return oversight.list_users(serving, principal)


@router.get("/audit", summary="Recent audit entries, newest first")
def audit_log(principal: CurrentUser, serving: ServingDep,
              actor: Annotated[str | None, Query(max_length=128)] = None,
              action: Annotated[str | None, Query(max_length=64)] = None,
              limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[dict[str, Any]]:
    return oversight.audit_entries(serving, principal, actor, action, limit)


@router.get("/audit/verify", response_model=VerificationOut, summary="Check the audit chain")
def audit_verify(principal: CurrentUser, serving: ServingDep) -> VerificationOut:
    return VerificationOut(**oversight.chain_status(serving, principal))


@router.get("/usage", summary="Usage by user, action and dataset")
def usage(principal: CurrentUser, serving: ServingDep) -> dict[str, Any]:
    return oversight.usage(serving, principal)


@router.get("/who-viewed", summary="Who viewed my partner's data")
def who_viewed(principal: CurrentUser, serving: ServingDep) -> list[dict[str, Any]]:
    return oversight.who_viewed(serving, principal)


@router.get("/rights", summary="Data-subject rights requests and their deadlines")
def rights_requests(principal: CurrentUser, serving: ServingDep) -> list[dict[str, Any]]:
    return oversight.rights_requests(serving, principal)
