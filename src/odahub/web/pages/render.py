"""Rendering a page: every template gets the user, the CSRF token and the navigation."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from odahub.web import security

NAV = [("/search", "Search"), ("/risk", "Risk lists"), ("/areas", "Areas"),
       ("/catalog", "Catalog"), ("/linkage", "Linkage review"), ("/reid", "Re-identification"),
       ("/benefits", "Benefits"), ("/governance", "Governance")]


def render(request: Request, template: str, status_code: int = 200,
           **context: Any) -> HTMLResponse:
    templates = request.app.state.templates
    principal = getattr(request.state, "principal", None)
    html = templates.get_template(template).render(
        request=request, user=principal, nav=NAV, csrf_token=security.csrf_token_of(request),
        partial=request.headers.get("hx-request") == "true", **context)
    return HTMLResponse(html, status_code=status_code)
