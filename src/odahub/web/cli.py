"""CLI commands of the web app: `odahub serve` (and the end of `odahub demo`)."""

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


def demo_logins(hub: Hub) -> list[tuple[str, str, str]]:
    """(username, roles, partner) of each demo user, one per role first."""
    from odahub.governance import users

    found = []
    for user in users.all_users(hub.catalog):
        found.append((user.username, ", ".join(sorted(user.roles)), user.partner or ""))
    return found


def serve_hub(hub: Hub, host: str, port: int, demo: bool) -> None:
    """Serve create_app(hub) with uvicorn; in a demo, first print a login for each role."""
    import uvicorn

    from odahub.governance import attach
    from odahub.web.app import create_app, tune_server_process

    attach(hub)
    tune_server_process()
    app = create_app(hub)
    url = f"http://{host}:{port}"
    if demo:
        from odahub.governance.demo import DEMO_PASSWORD

        console.print(f"\n[bold]odahub is serving at {url}[/]  (password for every demo "
                      f"user: [bold]{DEMO_PASSWORD}[/])")
        for username, roles, partner in demo_logins(hub):
            console.print(f"  {username:<24} {roles:<14} {partner}")
    else:
        console.print(f"odahub is serving at {url}")
    uvicorn.run(app, host=host, port=port, log_level="warning")
