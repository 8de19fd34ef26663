"""The JSON API under /api/v1: everything the pages do, with one error shape."""

from __future__ import annotations

from fastapi import APIRouter

from odahub.web.api import areas, catalog, governance, linkage, people, reid, risk
from odahub.web.errors import ERROR_RESPONSES

router = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES)
for module in (people, risk, areas, catalog, linkage, governance, reid):
    router.include_router(module.router)
