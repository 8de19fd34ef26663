"""Governance screens: agreements, users and training, the audit log and its chain, usage,
"who viewed my data". Metadata about access, shown by role (deny by default)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import select

from odahub.catalog.tables.core import Dataset, Partner
from odahub.governance import Principal, agreements, audit, rights, users
from odahub.web.queries import access
from odahub.web.serving import Serving

OVERSEERS = ("hub_admin", "auditor")


def list_agreements(serving: Serving) -> list[dict[str, Any]]:
    """Agreements are public within the partnership: everyone may see what is shared."""
    return [{"code": a.code, "tier": a.tier, "title": a.title, "purpose": a.purpose,
             "parties": a.parties, "start": a.start, "end": a.end, "review": a.review,
             "status": a.status, "shares": a.shares}
            for a in agreements.list_agreements(serving.hub.catalog)]


def require(serving: Serving, principal: Principal, what: str, *roles: str) -> None:
    if not access.has_role(principal, *roles):
        access.refuse(serving, principal, what, what)


def list_users(serving: Serving, principal: Principal) -> list[dict[str, Any]]:
    """Users and training status: overseers see all; a data owner sees their partner's."""
    require(serving, principal, "governance.users", *OVERSEERS, "data_owner")
    everyone = users.all_users(serving.hub.catalog)
    if not access.has_role(principal, *OVERSEERS):
        everyone = [u for u in everyone if u.partner == principal.partner]
    return [{"username": u.username, "display_name": u.display_name, "partner": u.partner,
             "roles": sorted(u.roles), "nominated": u.nominated, "active": u.active,
             "training_expires": u.training_expires, "training_current": u.training_current(),
             "last_login_at": u.last_login_at} for u in everyone]


def audit_entries(serving: Serving, principal: Principal, actor: str | None = None,
                  action: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    require(serving, principal, "governance.audit", *OVERSEERS)
    return audit.entries(serving.hub.catalog, actor=actor, action=action, limit=limit)


def chain_status(serving: Serving, principal: Principal) -> dict[str, Any]:
    require(serving, principal, "governance.audit", *OVERSEERS)
    result = audit.verify(serving.hub.catalog)
    return {"ok": result.ok, "entries": result.entries,
            "first_bad_entry": result.first_bad_entry, "message": result.message}


def partner_datasets(serving: Serving, partner: str | None) -> list[str]:
    with serving.hub.catalog.session() as session:
        return list(session.scalars(select(Dataset.name).join(Partner)
                                    .where(Partner.code == partner)))


def usage(serving: Serving, principal: Principal, limit: int = 2000) -> dict[str, Any]:
    """Reads per user, per action and per dataset (a data owner: of their partner's data)."""
    require(serving, principal, "governance.usage", *OVERSEERS, "data_owner")
    entries = audit.entries(serving.hub.catalog, limit=limit)
    if not access.has_role(principal, *OVERSEERS):
        mine = set(partner_datasets(serving, principal.partner))
        entries = [e for e in entries if e.get("dataset") in mine or
                   mine & set((e.get("details") or {}).get("datasets") or [])]
    return {"by_user": Counter(e["actor"] for e in entries).most_common(),
            "by_action": Counter(e["action"] for e in entries).most_common(),
            "by_dataset": Counter(e.get("dataset") or "-" for e in entries).most_common(),
            "entries": len(entries)}


def who_viewed(serving: Serving, principal: Principal, limit: int = 2000) -> list[dict[str, Any]]:
    """Every read that touched the partner's datasets: who, when, why, which subjects."""
    require(serving, principal, "governance.who_viewed", "data_owner", *OVERSEERS)
    mine = set(partner_datasets(serving, principal.partner))
    found = []
    for entry in audit.entries(serving.hub.catalog, limit=limit):
        details = entry.get("details") or {}
        touched = {entry.get("dataset")} | set(details.get("datasets") or [])
        if mine & touched and entry.get("outcome") == "allowed":
            found.append({"at": entry.get("at"), "actor": entry["actor"],
                          "action": entry["action"], "purpose": entry.get("purpose"),
                          "justification": entry.get("justification"),
                          "subjects": entry.get("subjects") or [],
                          "datasets": sorted(d for d in touched & mine if d)})
    return found


def rights_requests(serving: Serving, principal: Principal) -> list[dict[str, Any]]:
    """Data-subject rights requests and their one-month deadlines."""
    require(serving, principal, "governance.rights", *OVERSEERS, "data_owner")
    return rights.list_requests(serving.hub.catalog)
