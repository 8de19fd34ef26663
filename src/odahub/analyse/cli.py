"""CLI commands of the analyse stage: `odahub analyse [marts|train|evaluate|score|all]`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from odahub.cli_support import console, hub_of, lazy_module, print_json, progress
from odahub.lake import turns

if TYPE_CHECKING:
    from odahub.analyse import evaluate, missing, registry, runner, step
else:  # model libraries (LightGBM, SHAP, SciPy) load only when a command runs
    evaluate = lazy_module("odahub.analyse.evaluate")
    missing = lazy_module("odahub.analyse.missing")
    registry = lazy_module("odahub.analyse.registry")
    runner = lazy_module("odahub.analyse.runner")
    step = lazy_module("odahub.analyse.step")

analyse_app = typer.Typer(help="Marts, risk models, evaluation, risk lists (advisory).",
                          no_args_is_help=True)

SynthOption = Annotated[Path | None, typer.Option(
    "--synth", help="A synthetic county folder to use when the lake has no linked data yet.")]
SourceOption = Annotated[str, typer.Option(help="Where inputs come from: auto, lake or truth.")]
ModelsOption = Annotated[list[str] | None, typer.Option(
    "--model", "-m", help="Model(s) to run (default: all).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output on stdout.")]
RoundsOption = Annotated[int, typer.Option(help="Bootstrap resamples for the 95% intervals.")]


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the root app."""
    app.add_typer(analyse_app, name="analyse")


@contextmanager
def _session(ctx: typer.Context, synth: Path | None, source: str) -> Iterator[runner.Session]:
    """A session held in a stage turn from the first read to the last write (ADR 0090)."""
    hub = hub_of(ctx)
    with turns.stage(hub.settings.home):
        yield runner.open_session(hub, synth, source)


def _emit(data: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(data)
        return
    for key, value in data.items():
        console.print(f"[bold]{key}[/]: {value}")


@analyse_app.command("marts")
def marts_command(ctx: typer.Context, synth: SynthOption = None, source: SourceOption = "auto",
                  as_json: JsonOption = False) -> None:
    """Build marts/person_features, household_features, oa_features, demand_*, missing_*."""
    with _session(ctx, synth, source) as session, progress() as bar:
        task = bar.add_task("marts", total=2, rate="")
        counts = runner.write_marts(session)
        bar.advance(task)
        counts.update(runner.write_tools(session))
        bar.advance(task)
    _emit({"as_of": session.as_of.isoformat(), **counts}, as_json)


def _train(ctx: typer.Context, synth: Path | None, source: str, models: list[str] | None,
           rounds: int) -> dict[str, Any]:
    specs = runner.specs_named(models)
    out: dict[str, Any] = {"label": evaluate.SYNTHETIC}
    with _session(ctx, synth, source) as session, progress() as bar:
        task = bar.add_task("train + evaluate", total=len(specs), rate="")
        for spec in specs:
            evaluation = runner.train(session, spec, rounds=rounds)
            out[spec.name] = runner.headline(evaluation.report) | {
                "beats": evaluation.report["beats"],
                "planted_best": evaluation.report.get("planted_best")}
            bar.advance(task)
    return out


@analyse_app.command("train")
def train_command(ctx: typer.Context, synth: SynthOption = None, source: SourceOption = "auto",
                  model: ModelsOption = None, rounds: RoundsOption = 200,
                  as_json: JsonOption = False) -> None:
    """Fit each model, evaluate it on the temporal hold-out, write its card; register it."""
    _emit(_train(ctx, synth, source, model, rounds), as_json)


@analyse_app.command("evaluate")
def evaluate_command(ctx: typer.Context, model: ModelsOption = None,
                     as_json: JsonOption = False) -> None:
    """Show the registered evaluation of the active version of each model."""
    hub = hub_of(ctx)
    out = {row.model: {"version": row.version, "trained_as_of": row.trained_as_of,
                       **row.metrics}
           for row in registry.model_versions(hub.catalog)
           if row.status == "active" and (not model or row.model in model)}
    _emit(out, as_json)


@analyse_app.command("score")
def score_command(ctx: typer.Context, synth: SynthOption = None, source: SourceOption = "auto",
                  model: ModelsOption = None, as_json: JsonOption = False) -> None:
    """Write the advisory risk lists marts/risk_<model> with the active model versions."""
    specs = runner.specs_named(model)
    out: dict[str, Any] = {}
    with _session(ctx, synth, source) as session, progress() as bar:
        task = bar.add_task("score", total=len(specs), rate="")
        for spec in specs:
            out[spec.name] = runner.score(session, spec)
            bar.advance(task)
    _emit(out, as_json)


@analyse_app.command("all")
def all_command(ctx: typer.Context, synth: SynthOption = None, source: SourceOption = "auto",
                rounds: RoundsOption = 200, as_json: JsonOption = False) -> None:
    """Marts, train + evaluate, and score: the whole stage."""
    _emit(step.run_all(hub_of(ctx), synth, source, rounds), as_json)


@analyse_app.command("missing")
def missing_command(ctx: typer.Context, person_id: str, synth: SynthOption = None,
                    source: SourceOption = "auto", as_json: JsonOption = False) -> None:
    """Where and when a missing person was found before (ranked places, hours, weekdays)."""
    with _session(ctx, synth, source) as session:
        found = missing.whereabouts(session.hub.engine, person_id)
    _emit(found, as_json)
