"""CLI commands of the synth stage: `odahub synth`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from odahub.cli_support import console, print_json, progress
from odahub.synth.params import ErrorRates


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the root app."""
    app.command(name="synth")(synth)


def synth(
    persons: Annotated[int, typer.Option(min=10, help="Persons in the county.")] = 2000,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same bytes.")] = 1,
    out: Annotated[Path, typer.Option(help="Folder to write the county to.")] = Path("county"),
    error_rate: Annotated[list[str] | None, typer.Option(
        "--error-rate", help="Override an error rate, NAME=VALUE (repeatable); names: "
        + ", ".join(ErrorRates.names()))] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")]
    = False,
) -> None:
    """Generate a synthetic county: partner feeds, feed specs, reference data and the truth."""
    rates = ErrorRates.parse(error_rate or [])
    with progress() as bar:
        task = bar.add_task("households", total=None, rate="")

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, rate=f"{done} households")

        from odahub.synth.county import generate_county  # heavy: only when generating

        manifest = generate_county(out, persons=persons, seed=seed, error_rates=rates,
                                   progress=advance)
    summary = {"out": str(out), "persons": persons, "seed": seed,
               "datasets": len(manifest["datasets"]), "partners": len(manifest["partners"]),
               "records": sum(d["records"] for d in manifest["datasets"]),
               "files": len(manifest["files"])}
    if json_output:
        print_json(summary)
    else:
        console.print(f"[green]county written[/] to {out}: {summary['datasets']} datasets from "
                      f"{summary['partners']} partners, {summary['records']} records")
