"""The web application and JSON API (`create_app`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI

    from odahub.hub import Hub


def create_app(hub: Hub, **options: Any) -> FastAPI:
    """Build the app for one hub (imported lazily so the CLI starts fast)."""
    from odahub.web.app import create_app as build

    return build(hub, **options)


__all__ = ["create_app"]
