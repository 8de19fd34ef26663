"""CLI commands of the web app."""

from __future__ import annotations

from typing import Annotated

import typer

from odahub.cli_support import console, hub_of
from odahub.hub import Hub


def register(app: typer.Typer) -> None:
    """Add `odahub serve`."""

    @app.command()
    def serve(
        ctx: typer.Context,
        host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    ) -> None:
        """Serve the web app and the JSON API (default http://127.0.0.1:8000)."""
        serve_hub(hub_of(ctx), host=host, port=port, demo=False)


def serve_hub(hub: Hub, host: str, port: int, demo: bool) -> None:
    """Not built yet: the web issue replaces this with uvicorn serving create_app(hub)."""
    console.print(f"[yellow]web app not built yet[/] (would serve on http://{host}:{port})")
