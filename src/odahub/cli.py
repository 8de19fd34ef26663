"""The `odahub` command: thin — parse, build the hub once, call a stage, show progress."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from odahub import __version__
from odahub.analyse import cli as analyse_cli
from odahub.benefits import cli as benefits_cli
from odahub.cli_support import console, hub_of, print_json
from odahub.config import Settings, settings_from_env
from odahub.errors import OdahubError
from odahub.governance import cli as governance_cli
from odahub.hub import Hub
from odahub.ingest import cli as ingest_cli
from odahub.link import cli as link_cli
from odahub.privacy import cli as privacy_cli
from odahub.privacy.keystore import KeyStore
from odahub.synth import cli as synth_cli
from odahub.web import cli as web_cli

app = typer.Typer(
    name="odahub",
    help="odahub — an open Office of Data Analytics hub: ingest, pseudonymise, link, "
    "analyse, serve.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def key_store_factory(settings: Settings) -> KeyStore:
    return KeyStore.open(settings)


def build_hub(settings: Settings) -> Hub:
    return Hub(settings=settings, key_provider_factory=key_store_factory)


@app.callback()
def root(
    ctx: typer.Context,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log every SQL query.")] = False,
) -> None:
    """Build the settings and the hub once; every command receives them through the context."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING)
    ctx.obj = build_hub(settings_from_env())


@app.command()
def version() -> None:
    """Print the odahub version."""
    print(__version__)


@app.command()
def init(ctx: typer.Context) -> None:
    """Create the home at $ODAHUB_HOME: catalog schema, lake zones, key material."""
    hub = hub_of(ctx)
    initialise(hub)
    console.print(f"[green]odahub home ready[/] at {hub.settings.home}")


def initialise(hub: Hub) -> None:
    KeyStore.open(hub.settings, create=True)
    hub.initialise()


@app.command()
def demo(
    ctx: typer.Context,
    persons: Annotated[int, typer.Option(help="Persons in the synthetic county.")] = 2000,
    seed: Annotated[int, typer.Option(help="Random seed of the county.")] = 1,
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the web app after.")
    ] = True,
    host: Annotated[str, typer.Option(help="Host to serve on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8000,
    json_output: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Generate a synthetic county into the home, run every stage on it, then serve the web app."""
    from odahub.pipeline import PipelineState, run_pipeline  # heavy: every stage's libraries

    hub = hub_of(ctx)
    initialise(hub)
    state = PipelineState(synth_dir=hub.settings.home / "synth", persons=persons, seed=seed)

    def announce(name: str, result: dict[str, Any]) -> None:
        console.print(f"[bold cyan]✓ {name}[/] {summary_line(result)}")

    run_pipeline(hub, state, on_step=announce)
    if json_output:
        print_json(state.results)
    else:
        show_summary(state.results)
    if serve:
        web_cli.serve_hub(hub, host=host, port=port, demo=True)


def summary_line(result: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in result.items() if not isinstance(v, dict | list))


def show_summary(results: dict[str, Any]) -> None:
    table = Table(title="odahub demo")
    table.add_column("stage")
    table.add_column("result")
    for name, result in results.items():
        table.add_row(name, summary_line(result))
    console.print(table)


def rerun_after_ingest(hub: Hub) -> dict[str, Any]:
    """The stages after ingest, for governance (which may not import them): `rights rectify`."""
    from odahub.pipeline import run_after_ingest

    return run_after_ingest(hub)


for stage in (synth_cli, ingest_cli, privacy_cli, link_cli, analyse_cli, benefits_cli, web_cli):
    stage.register(app)
governance_cli.register(app, downstream=rerun_after_ingest)


def main() -> None:
    """Entry point: domain errors become a clear message and a non-zero exit, never a traceback.

    Usage errors are handled by Typer itself (standalone mode, exit code 2).
    """
    try:
        app()
    except OdahubError as error:
        console.print(f"[red]error:[/] {error}", highlight=False)
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        console.print("[red]interrupted[/]")
        sys.exit(130)
    except Exception as error:  # anything unexpected: a short message, details in a log file
        handle_unexpected(error)


def handle_unexpected(error: Exception) -> None:
    import traceback

    log_path = Path.cwd() / "odahub-error.log"
    log_path.write_text("".join(traceback.format_exception(error)))
    console.print(f"[red]internal error:[/] {type(error).__name__}: {error} "
                  f"(details in {log_path})", highlight=False)
    sys.exit(70)


if __name__ == "__main__":
    main()
