"""Server-rendered pages (Jinja2 + HTMX), calling the same query layer as the API."""

from __future__ import annotations

from fastapi import APIRouter

from odahub.web.pages import areas, benefits, catalog, governance, people, reid, risk, session

router = APIRouter(include_in_schema=False)
for module in (session, people, risk, areas, catalog, governance, reid, benefits):
    router.include_router(module.router)
