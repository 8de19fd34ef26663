"""Benefits and portfolio: the benefits stage's summaries (aggregate, no personal data)."""

from __future__ import annotations

from typing import Any

from odahub.benefits import service
from odahub.errors import OdahubError
from odahub.web.serving import Serving


def overview(serving: Serving) -> dict[str, Any]:
    """Portfolio, tracked benefits, risk register and the pilot savings; each part may be
    missing until the benefits stage has loaded it (the page then says so)."""
    hub = serving.hub
    found: dict[str, Any] = {"portfolio": None, "benefits": [], "risks": [], "savings": None}
    try:
        found["portfolio"] = service.portfolio_summary(hub).to_dict()
    except OdahubError:
        pass
    try:
        found["benefits"] = service.benefit_views(hub)
        found["risks"] = service.risk_views(hub)
    except OdahubError:
        pass
    try:
        found["savings"] = service.board_pack(hub).savings
    except (OdahubError, FileNotFoundError):
        pass
    return found
