"""CLI commands of the link stage: link, evaluate, review, explain, and `export links`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import pyarrow.parquet as pq
import typer
from rich.table import Table

from odahub.cli_support import console, hub_of, print_json, progress
from odahub.errors import SpecError
from odahub.link import outputs, review

if TYPE_CHECKING:
    from odahub.link.run import LinkOptions

# The linkage itself (Splink, pandas, SciPy) is imported inside the commands that run it, so
# every other `odahub` command starts without it.

PHASES = ["prepare", "train", "score", "cluster", "households", "write"]

link_app = typer.Typer(help="Person and household linkage (the golden nominal).",
                       no_args_is_help=False)


@link_app.callback(invoke_without_command=True)
def link_command(
    ctx: typer.Context,
    full: Annotated[bool, typer.Option("--full", help="Re-link every record.")] = False,
    incremental: Annotated[bool, typer.Option(
        "--incremental", help="Match only records not linked before (the default).")] = False,
    retrain: Annotated[bool, typer.Option(
        "--retrain", help="Train a new model, with new term-frequency tables, first.")] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Link persons and households over every identified dataset."""
    if ctx.invoked_subcommand is not None:
        return
    if full and incremental:
        raise SpecError("choose one of --full and --incremental")
    hub = hub_of(ctx)
    mode = "full" if full or retrain else "incremental"
    from odahub.link.run import LinkOptions

    stats = run_with_progress(hub, LinkOptions(mode=mode, retrain=retrain))
    if json_output:
        print_json(stats)
    else:
        console.print(", ".join(f"{k}={v}" for k, v in stats.items()))


def run_with_progress(hub: Any, options: LinkOptions) -> dict[str, Any]:
    from odahub.link.run import link

    with progress() as bar:
        task = bar.add_task("link", total=len(PHASES), rate="")

        def phase(name: str) -> None:
            done = next((i for i, p in enumerate(PHASES) if name.startswith(p)), 0)
            bar.update(task, completed=done, description=f"link: {name}")

        options.phase = phase
        stats = link(hub, options)
        bar.update(task, completed=len(PHASES), description="link: done")
    return stats


@link_app.command("evaluate")
def evaluate_command(
    ctx: typer.Context,
    truth: Annotated[Path, typer.Option(help="Parquet with dataset, record_id, person_id.")],
    json_output: Annotated[bool, typer.Option("--json", help="Print the scores as JSON.")] = False,
) -> None:
    """Pairwise and cluster precision/recall/F1 of the current links against a truth file."""
    from odahub.link.evaluate import evaluate, read_truth

    hub = hub_of(ctx)
    scores = evaluate(hub.engine, outputs.read(hub, "links"), read_truth(truth))
    if json_output:
        print_json(scores)
        return
    for kind in ("pairwise", "cluster", "households"):
        if kind in scores:
            console.print(f"{kind}: " + ", ".join(f"{k}={v}" for k, v in scores[kind].items()))
    console.print(f"records={scores['records']} persons={scores['persons']}")


@link_app.command("review")
def review_command(
    ctx: typer.Context,
    list_items: Annotated[bool, typer.Option("--list", help="List pending pairs.")] = False,
    accept: Annotated[int | None, typer.Option(help="Accept review item ID (force link).")] = None,
    reject: Annotated[int | None, typer.Option(help="Reject review item ID (never link).")] = None,
    withdraw: Annotated[int | None, typer.Option(help="Undo the decision on item ID.")] = None,
    by: Annotated[str | None, typer.Option(help="Who decides (kept with the decision).")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """The clerical review queue; decisions apply from the next `odahub link`."""
    hub = hub_of(ctx)
    chosen = [(d, i) for d, i in (("accept", accept), ("reject", reject),
                                  ("withdraw", withdraw)) if i is not None]
    if len(chosen) > 1:
        raise SpecError("give one of --accept, --reject, --withdraw")
    if chosen:
        decision, item_id = chosen[0]
        item = review.decide(hub.catalog, item_id, decision, by=by)
        console.print(f"review {item.id}: {item.record_a} ~ {item.record_b} → {item.status}")
        return
    items = review.queue(hub.catalog)
    if json_output:
        print_json([vars(i) for i in items])
        return
    table = Table(title=f"pending review ({len(items)})")
    for column in ("id", "record a", "record b", "probability", "weight"):
        table.add_column(column)
    for i in items:
        table.add_row(str(i.id), i.record_a, i.record_b, f"{i.match_probability or 0:.3f}",
                      f"{i.match_weight or 0:.2f}")
    console.print(table)


@link_app.command("explain")
def explain_command(
    ctx: typer.Context,
    record_a: Annotated[str, typer.Argument(help="dataset:record_id")],
    record_b: Annotated[str, typer.Argument(help="dataset:record_id")],
    show_values: Annotated[bool, typer.Option(
        "--show-values", help="Include the compared identifier values.")] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Each comparison's match weight for a pair of records (Splink's waterfall)."""
    from odahub.link.explain import explain

    result = explain(hub_of(ctx), record_a, record_b, show_values=show_values)
    if json_output:
        print_json(result)
        return
    table = Table(title=f"{result['record_a']} ~ {result['record_b']}")
    for column in ("comparison", "level", "match weight", "tf adj."):
        table.add_column(column)
    table.add_row("prior", "", f"{result['prior_match_weight']:+.2f}", "")
    for step in result["comparisons"]:
        table.add_row(step["comparison"], str(step["level"]), f"{step['match_weight']:+.2f}",
                      "" if step["tf_adjustment"] is None else f"{step['tf_adjustment']:+.2f}")
    table.add_row("total", "", f"{result['match_weight']:+.2f}",
                  f"p={result['match_probability']:.4f}")
    console.print(table)
    console.print("linked" if result["linked"] else "not linked")


@link_app.command("match")
def match_command(
    ctx: typer.Context,
    values: Annotated[list[str], typer.Argument(
        help="role=value pairs, e.g. first_name=JANE last_name=DOE date_of_birth=1980-02-01")],
    limit: Annotated[int, typer.Option(help="Most candidates to list.")] = 10,
    json_output: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Match one record against the linked nominals (nothing is written)."""
    from odahub.link.match import Matcher

    record: dict[str, str] = {}
    for item in values:
        role, sep, value = item.partition("=")
        if not sep or not role:
            raise SpecError(f"give values as role=value, not {item!r}")
        record[role.strip()] = value
    matcher = Matcher(hub_of(ctx))
    found = matcher.match(record, limit=limit)
    if json_output:
        print_json({"nominals": matcher.size, "candidates": found})
        return
    table = Table(title=f"candidates among {matcher.size} linked profiles")
    for column in ("record", "person", "match weight", "probability", "linked"):
        table.add_column(column)
    for f in found:
        table.add_row(f["record"], f["person_id"] or "", f"{f['match_weight']:+.2f}",
                      f"{f['match_probability']:.4f}", "yes" if f["linked"] else "")
    console.print(table)


def export_links(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option(help="Parquet file to write.")],
) -> None:
    """Write dataset, record_id, person_id, household_id of every linked record."""
    links = outputs.read(hub_of(ctx), "links").select(
        ["dataset", "record_id", "person_id", "household_id"])
    out.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(links, out)
    console.print(f"wrote {links.num_rows} links to {out}")


def export_group(app: typer.Typer) -> typer.Typer:
    """The shared `odahub export` group: found on the app if another stage made it, else made."""
    for group in app.registered_groups:
        if group.name == "export" and group.typer_instance is not None:
            return group.typer_instance
    export = typer.Typer(help="Export hub tables to files.", no_args_is_help=True)
    app.add_typer(export, name="export")
    return export


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the root app."""
    app.add_typer(link_app, name="link")
    export_group(app).command("links")(export_links)
