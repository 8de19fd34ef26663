"""The app factory: one FastAPI app serving pages (Jinja2 + HTMX) and the JSON API (/api/v1)."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from odahub import __version__
from odahub.governance import attach, audit
from odahub.hub import Hub
from odahub.web import errors, security
from odahub.web.api import router as api_router
from odahub.web.pages import router as pages_router
from odahub.web.serving import WebSettings, build_serving
from odahub.web.warm import warm

HERE = Path(__file__).parent


def create_app(hub: Hub, settings: WebSettings | None = None) -> FastAPI:
    """Build the web app for one hub; call once per process entry point."""
    attach(hub)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await anyio.to_thread.run_sync(warm, app.state.serving)  # before the first request
        yield
        audit.flush(hub.catalog)  # sign the audit chain head at shutdown (ADR 0055)

    app = FastAPI(
        lifespan=lifespan,
        title="odahub API",
        version=__version__,
        description="Search, person and household views, risk lists, areas, catalog, linkage "
        "review and governance of an odahub hub. Authenticate with a session cookie (the web "
        "app) or an API token (`Authorization: Bearer …`). Every read names a purpose "
        "(`X-Odahub-Purpose`, `X-Odahub-Justification`). Every error has one shape: "
        "`{\"error\": {\"status\", \"code\", \"message\", \"problems\"}}`; a refusal is the same "
        "404 as a missing resource.",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
    )
    app.state.serving = build_serving(hub, settings)
    app.state.templates = Jinja2Templates(directory=HERE / "templates")
    app.state.templates.env.globals["version"] = __version__
    errors.install(app)
    security.install(app)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(api_router)
    app.include_router(pages_router)
    return app


# Request threads hold the GIL in short bursts between catalog, DuckDB and Arrow calls that
# release it; a short switch interval hands it on sooner, which halves median latency under
# load (Python's default is 5 ms; see ADR 0075 and bench/load.py).
SWITCH_INTERVAL = 0.001


def tune_server_process() -> None:
    """Settings for a process that only serves the app (not for tests or the CLI)."""
    sys.setswitchinterval(SWITCH_INTERVAL)


def app_from_env() -> FastAPI:
    """An app for the hub at $ODAHUB_HOME, for `uvicorn --factory odahub.web.app:app_from_env`
    (how to run several worker processes behind a proxy)."""
    from odahub.config import settings_from_env
    from odahub.privacy.keystore import KeyStore

    tune_server_process()
    settings = settings_from_env()
    return create_app(Hub(settings=settings, key_provider_factory=KeyStore.open))
