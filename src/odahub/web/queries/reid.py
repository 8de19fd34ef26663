"""Re-identification through the web: request, the owner's approval, and the reveal.

The privacy stage owns the rules (who may decide, expiry, subjects); the web app passes the
principal in and shows the results. Refusals are AccessDenied, shown as the usual 404.
"""

from __future__ import annotations

from typing import Any

from odahub.governance import Principal
from odahub.privacy import reid
from odahub.web.serving import Serving


def requests(serving: Serving, principal: Principal) -> list[dict[str, Any]]:
    return [view.as_dict() for view in reid.list_requests(serving.hub, principal)]


def file_request(serving: Serving, principal: Principal, *, subjects: list[str],
                 owning_partner: str, justification: str, dpia_ref: str) -> dict[str, Any]:
    view = reid.request(serving.hub, principal, subjects=subjects,
                        purpose=principal.purpose or "", justification=justification,
                        dpia_ref=dpia_ref, owning_partner=owning_partner)
    return view.as_dict()


def decide(serving: Serving, principal: Principal, request_id: int, approve: bool,
           note: str | None, days: int | None = None) -> dict[str, Any]:
    if approve:
        return reid.approve(serving.hub, principal, request_id, days=days, note=note).as_dict()
    return reid.reject(serving.hub, principal, request_id, note=note).as_dict()


def reveal(serving: Serving, principal: Principal, request_id: int) -> list[dict[str, Any]]:
    table = reid.reveal(serving.hub, principal, request_id)
    rows: list[dict[str, Any]] = table.to_pylist()
    return rows
