"""CLI commands of the benefits stage: costs, savings, portfolio, risks, interventions, export."""

from __future__ import annotations

import typer

from odahub.benefits import cli_commands


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the root app."""
    app.add_typer(cli_commands.costs, name="costs")
    app.add_typer(cli_commands.savings, name="savings")
    app.add_typer(cli_commands.portfolio, name="portfolio")
    app.add_typer(cli_commands.risks, name="risks")
    app.add_typer(cli_commands.interventions, name="interventions")
    app.add_typer(cli_commands.benefits, name="benefits")
