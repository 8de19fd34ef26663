"""CLI commands of the ingest stage: feeds, ingest (files, spec, drop folder), versions,
quarantine, quality, reference data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from odahub.cli_support import console, hub_of, print_json
from odahub.errors import ConfigError, OdahubError
from odahub.hub import Hub
from odahub.ingest import display, dropfolder
from odahub.ingest.deliver import DeliveryResult, ingest_files
from odahub.ingest.feeds import add_feed, get_feed, list_feeds
from odahub.ingest.reference import load_reference
from odahub.ingest.spec import load_spec
from odahub.ingest.views import quality_of, quarantine_rows, version_rows

feed_app = typer.Typer(help="Register and list feeds (feed specs).", no_args_is_help=True)
reference_app = typer.Typer(help="Reference data (postcodes, output areas).",
                            no_args_is_help=True)
JsonFlag = Annotated[bool, typer.Option("--json", help="Machine-readable output on stdout.")]
VersionOpt = Annotated[int | None, typer.Option("--version", help="Version (default: latest).")]


def ready(ctx: typer.Context) -> Hub:
    hub = hub_of(ctx)
    if not hub.catalog.is_initialised():
        raise ConfigError(f"no odahub home at {hub.settings.home}; run `odahub init` first")
    return hub


@feed_app.command("add")
def feed_add(ctx: typer.Context, spec: Annotated[Path, typer.Argument(help="Feed spec YAML.")]
             ) -> None:
    """Validate a feed spec and register (or update) the feed."""
    feed, outcome = add_feed(ready(ctx), load_spec(spec))
    console.print(f"feed [bold]{feed.spec.dataset}[/] {outcome} (spec version "
                  f"{feed.spec_version})")


@feed_app.command("list")
def feed_list(ctx: typer.Context, json_output: JsonFlag = False) -> None:
    """List registered feeds."""
    feeds = list_feeds(ready(ctx))
    if json_output:
        print_json(feeds)
        return
    table = Table(title="feeds")
    for name in ("dataset", "partner", "format", "spec_version", "versions"):
        table.add_column(name)
    for feed in feeds:
        table.add_row(*(str(feed[k]) for k in ("dataset", "partner", "format", "spec_version",
                                                "versions")))
    console.print(table)


def ingest(
    ctx: typer.Context,
    args: Annotated[list[str] | None, typer.Argument(
        help="DATASET FILE... (or FILE... with --spec).", show_default=False)] = None,
    spec: Annotated[Path | None, typer.Option(help="Register/update this spec, then ingest.")
                    ] = None,
    watch: Annotated[Path | None, typer.Option(help="Drop folder: one subfolder per feed.")
                     ] = None,
    once: Annotated[bool, typer.Option(help="With --watch: one pass, then exit.")] = False,
    settle: Annotated[float, typer.Option(help="Seconds a file must stay unchanged.")] = 2.0,
    interval: Annotated[float, typer.Option(help="Seconds between drop-folder scans.")] = 10.0,
    force: Annotated[bool, typer.Option(help="Ingest even an identical re-delivery.")] = False,
    json_output: JsonFlag = False,
) -> None:
    """Ingest one delivery (DATASET FILE... or --spec SPEC FILE...) or watch a drop folder."""
    hub = ready(ctx)
    if watch is not None:
        run_watch(hub, watch, once, settle, interval, json_output)
        return
    items = list(args or [])
    if spec is not None:
        dataset = add_feed(hub, load_spec(spec))[0].spec.dataset
    elif items:
        dataset = items.pop(0)
        get_feed(hub, dataset)
    else:
        raise OdahubError("give DATASET FILE..., --spec SPEC.yaml FILE... or --watch DIR")
    if not items:
        raise OdahubError(f"no files given to ingest into {dataset}")
    with display.row_progress("ingesting") as on_rows:
        result = ingest_files(hub, dataset, [Path(i) for i in items], on_rows=on_rows,
                              force=force)
    report([result], json_output)


def report(results: list[DeliveryResult], json_output: bool) -> None:
    if json_output:
        print_json([r.as_dict() for r in results])
    else:
        display.show(display.summary_table(results))
    for result in results:
        if result.duplicate_of is not None:
            console.print(f"{result.dataset}: identical to version {result.duplicate_of} "
                          "(same sha256); skipped")


def run_watch(hub: Hub, folder: Path, once: bool, settle: float, interval: float,
              json_output: bool) -> None:
    folder = dropfolder.ensure_folder(folder)

    def show(outcomes: list[dropfolder.Outcome]) -> None:
        if json_output:
            print_json([{"feed": o.feed, "file": o.file, "status": o.status,
                         "message": o.message} for o in outcomes])
            return
        for o in outcomes:
            colour = {"ingested": "green", "duplicate": "yellow"}.get(o.status, "red")
            console.print(f"[{colour}]{o.status}[/] {o.feed}/{o.file}: {o.message}",
                          highlight=False)

    with display.row_progress("ingesting") as on_rows:
        if not once:
            console.print(f"watching {folder} (Ctrl-C to stop)")
            dropfolder.watch(hub, folder, interval, settle, show, on_rows)
        outcomes = dropfolder.process_once(hub, folder, settle, on_rows)
    show(outcomes)
    failed = [o for o in outcomes if o.status == "failed"]
    if failed:
        raise OdahubError(f"{len(failed)} of {len(outcomes)} deliveries failed; reasons are "
                          f"next to the files in <feed>/.failed/")


def versions(ctx: typer.Context, dataset: str, json_output: JsonFlag = False) -> None:
    """List the versions of a dataset with rows read/accepted/quarantined and sha256."""
    rows = version_rows(ready(ctx), dataset)
    if json_output:
        print_json(rows)
    else:
        display.show(display.versions_table(dataset, rows))


def quarantine(ctx: typer.Context, dataset: str, version: VersionOpt = None,
               limit: Annotated[int, typer.Option(help="Rows to show.")] = 50,
               raw: Annotated[bool, typer.Option(help="Show the raw source row.")] = False,
               json_output: JsonFlag = False) -> None:
    """Show quarantined rows: file, row, column and reason."""
    number, rows = quarantine_rows(ready(ctx), dataset, version, limit)
    if json_output:
        print_json([{k: v for k, v in r.items() if raw or k != "raw"} for r in rows])
        return
    table = Table(title=f"quarantine of {dataset} (version {number}, first {limit})")
    for name in ("source_file", "source_row", "column", "reason", *(["raw"] if raw else [])):
        table.add_column(name)
    for row in rows:
        table.add_row(*(str(row[k]) for k in ("source_file", "source_row", "column", "reason")),
                      *([str(row["raw"])[:200]] if raw else []))
    console.print(table)


def quality(ctx: typer.Context, dataset: str, version: VersionOpt = None,
            json_output: JsonFlag = False) -> None:
    """Data-quality report: completeness, validity, duplicates, drift vs previous version."""
    number, report_data = quality_of(ready(ctx), dataset, version)
    if json_output:
        print_json({"dataset": dataset, "version": number, **report_data})
    else:
        display.show(*display.quality_tables(dataset, number, report_data))


@reference_app.command("load")
def reference_load(ctx: typer.Context, folder: Annotated[Path, typer.Argument(
        help="Folder with postcodes.csv and output_areas.geojson.")]) -> None:
    """Load reference data into the reference zone (unchanged files are skipped)."""
    loaded = load_reference(ready(ctx), folder)
    console.print(", ".join(f"{name}: {rows:,} rows" for name, rows in loaded.items()))


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the root app."""
    app.add_typer(feed_app, name="feed")
    app.add_typer(reference_app, name="reference")
    app.command("ingest")(ingest)
    app.command("versions")(versions)
    app.command("quarantine")(quarantine)
    app.command("quality")(quality)

