"""CLI commands of governance over data: retention and data-subject rights."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from odahub.catalog import Catalog
from odahub.cli_support import console, hub_of, print_json
from odahub.errors import SpecError
from odahub.governance import attach, rectify, retention, rights
from odahub.governance.rectify import Downstream
from odahub.hub import Hub

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")]
Actor = Annotated[str, typer.Option(help="Who acts (recorded in the audit).")]

retention_app = typer.Typer(help="Retention: remove records kept longer than their period.",
                            no_args_is_help=True)
rights_app = typer.Typer(help="Data-subject rights requests (one-month deadline).",
                         no_args_is_help=True)


def hub_for(ctx: typer.Context) -> Hub:
    hub = hub_of(ctx)
    attach(hub)
    return hub


def register(app: typer.Typer, catalog_of: Callable[[typer.Context], Catalog],
             downstream: Downstream | None = None) -> None:
    """Add `odahub retention ...` and `odahub rights ...`."""
    app.add_typer(retention_app, name="retention")
    app.add_typer(rights_app, name="rights")
    rights_app.command("rectify")(rectify_command(downstream))


@retention_app.command("apply")
def retention_apply(ctx: typer.Context, actor: Actor = "retention",
                    json_output: JsonFlag = False) -> None:
    """Remove expired records from every zone and derived table; record what was removed."""
    result = retention.apply(hub_for(ctx), actor=actor)
    if json_output:
        print_json(asdict(result))
        return
    console.print(f"[green]retention applied[/] ({result.run}): expired {result.expired or 0}, "
                  f"persons removed {result.persons_removed}, tables {len(result.removals)}")


@retention_app.command("periods")
def retention_periods(ctx: typer.Context) -> None:
    """The retention period of each dataset (days)."""
    print_json(retention.periods(hub_for(ctx)))


@rights_app.command("open")
def rights_open(
    ctx: typer.Context, kind: str,
    person: Annotated[str | None, typer.Option(help="Nominal id (P-...) of the subject.")] = None,
    record: Annotated[list[str] | None, typer.Option(
        help="DATASET:RECORD_ID of a subject's record (repeatable).")] = None,
    actor: Actor = "cli", notes: str = "",
) -> None:
    """Open a request: access, rectification, erasure, restriction or objection."""
    pairs = []
    for item in record or []:
        dataset, sep, record_id = item.partition(":")
        if not sep:
            raise SpecError(f"--record {item!r}: expected DATASET:RECORD_ID")
        pairs.append((dataset, record_id))
    request = rights.open_request(hub_for(ctx).catalog, kind, requested_by=actor,
                                  person_id=person, records=pairs, notes=notes)
    due = rights.get(hub_for(ctx).catalog, request).due_on
    console.print(f"[green]opened[/] {kind} request {request}, due {due}")
    print(request)


@rights_app.command("list")
def rights_list(ctx: typer.Context, status: str | None = None,
                json_output: JsonFlag = False) -> None:
    """Requests by deadline, with overdue ones flagged."""
    rows = rights.list_requests(hub_for(ctx).catalog, status)
    if json_output:
        print_json(rows)
        return
    for row in rows:
        flag = "[red]OVERDUE[/] " if row["overdue"] else ""
        console.print(f"{flag}#{row['id']} {row['kind']} {row['person_id'] or ''} "
                      f"{row['status']} due {row['due_on']}")


@rights_app.command("sar")
def rights_sar(ctx: typer.Context, request: int,
               out: Annotated[Path, typer.Option(help="Where to write the JSON report.")],
               actor: Actor = "cli") -> None:
    """Answer a subject access request: everything about the subject, per controller."""
    report = rights.subject_access(hub_for(ctx), request, actor=actor)
    out.write_text(json.dumps(report, indent=2, default=str))
    console.print(f"[green]written[/] {out}")


@rights_app.command("erase")
def rights_erase(ctx: typer.Context, request: int, actor: Actor = "cli") -> None:
    """Carry out an erasure request in every zone and derived table."""
    result = rights.erase(hub_for(ctx), request, actor=actor)
    console.print(f"[green]erased[/] {result}")


@rights_app.command("restrict")
def rights_restrict(ctx: typer.Context, request: int, actor: Actor = "cli",
                    purpose: Annotated[str | None, typer.Option(
                        help="Only for this purpose (an upheld objection).")] = None) -> None:
    """Freeze the subject's records (restriction, or objection to one purpose)."""
    count = rights.restrict(hub_for(ctx), request, actor=actor, purpose=purpose)
    console.print(f"[green]restricted[/] {count} record(s)")


@rights_app.command("close")
def rights_close(ctx: typer.Context, request: int, actor: Actor = "cli",
                 status: str = "done") -> None:
    """Close a request (done or refused) without further action."""
    rights.close(hub_for(ctx).catalog, request, actor=actor, status=status)
    console.print(f"[green]closed[/] request {request} as {status}")


def rectify_command(downstream: Downstream | None) -> Callable[..., None]:
    """`odahub rights rectify`, bound to the entry point's stages after ingest."""

    def rights_rectify(
        ctx: typer.Context, request: int,
        dataset: Annotated[str | None, typer.Option(
            help="The feed whose re-delivery corrects the subject's records.")] = None,
        version: Annotated[int | None, typer.Option(
            help="Its identified version holding the correction (default: the latest).")] = None,
        rerun: Annotated[bool, typer.Option(
            "--rerun/--no-rerun", help="Re-run pseudonymise, link (in full) and analyse first.")
        ] = True,
        actor: Actor = "cli", json_output: JsonFlag = False,
    ) -> None:
        """Carry out a rectification: tie it to the corrected re-delivery, re-run the stages
        after ingest, and close it with what changed once every derived table has it."""
        progress = rectify.rectify(hub_for(ctx), request, actor, dataset=dataset,
                                   version=version, downstream=downstream if rerun else None)
        if json_output:
            print_json({**asdict(progress), "done": progress.done})
            return
        if progress.result is None:
            console.print(f"[yellow]waiting[/] request {request}: {progress.dataset} "
                          f"v{progress.version} has not reached {', '.join(progress.stale)}; "
                          + rectify.RERUN_HINT.format(id=request))
            return
        fields = sorted({f for names in progress.result["fields"].values() for f in names})
        console.print(f"[green]rectified[/] request {request}: {progress.dataset} "
                      f"v{progress.version} corrected {', '.join(fields)} on "
                      f"{len(progress.result['fields'])} record(s); persons "
                      f"{', '.join(progress.result['persons_before']) or '-'} → "
                      f"{', '.join(progress.result['persons_after']) or '-'}")

    return rights_rectify
