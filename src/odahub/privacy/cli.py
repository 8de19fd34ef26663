"""CLI commands of the privacy stage: pseudonymise, keys, reid."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from odahub.cli_support import console, hub_of, lazy_module, print_json
from odahub.governance import attach, users
from odahub.hub import Hub
from odahub.privacy.domains import DOMAIN_ENV, domain_from_env, domains, key_store

if TYPE_CHECKING:
    from odahub.privacy import reid, rotate, step
else:  # Presidio and numba load only when a command runs
    reid = lazy_module("odahub.privacy.reid")
    rotate = lazy_module("odahub.privacy.rotate")
    step = lazy_module("odahub.privacy.step")

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")]
Domain = Annotated[str | None, typer.Option(
    "--domain", help=f"Linkage domain (default: ${DOMAIN_ENV} or 'default').")]
User = Annotated[str, typer.Option("--user", envvar="ODAHUB_USER",
                                   help="Who is acting (a user of the hub; $ODAHUB_USER).")]

keys_app = typer.Typer(help="Key store: list keys, rotate a linkage domain's key.",
                       no_args_is_help=True)
reid_app = typer.Typer(help="Re-identification requests: request, approve, reject, reveal.",
                       no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the root app."""
    app.command("pseudonymise")(pseudonymise_command)
    app.add_typer(keys_app, name="keys")
    app.add_typer(reid_app, name="reid")


def governed_hub(ctx: typer.Context) -> Hub:
    hub = hub_of(ctx)
    attach(hub)
    return hub


def show(title: str, rows: list[dict[str, object]]) -> None:
    table = Table(title=title)
    for column in rows[0] if rows else ["(none)"]:
        table.add_column(str(column))
    for row in rows:
        table.add_row(*(str(value) for value in row.values()))
    console.print(table)


def pseudonymise_command(ctx: typer.Context, domain: Domain = None,
                         force: Annotated[bool, typer.Option(
                             help="Rewrite even datasets that are current.")] = False,
                         json_output: JsonFlag = False) -> None:
    """Tokenise identifiers and redact free text of every identified dataset."""
    hub = hub_of(ctx)
    result = step.summary(step.pseudonymise_all(hub, domain or domain_from_env(), force=force))
    if json_output:
        print_json(result)
    else:
        console.print(", ".join(f"{k}={v}" for k, v in result.items()))


@keys_app.command("list")
def keys_list(ctx: typer.Context, json_output: JsonFlag = False) -> None:
    """Every key's id, purpose and status (never key material), and each domain's active key."""
    hub = hub_of(ctx)
    active = set(domains(hub).values())
    rows: list[dict[str, object]] = [
        {**entry, "in_use": entry["id"] in active or (
            entry["purpose"].startswith("zone:") and entry["status"] == "active")}
        for entry in key_store(hub).listing()]
    if json_output:
        print_json(rows)
    else:
        show("keys", rows)


@keys_app.command("rotate")
def keys_rotate(ctx: typer.Context, domain: Domain = None, actor: Annotated[str, typer.Option(
        help="Who is rotating (recorded in the audit).")] = "cli",
                json_output: JsonFlag = False) -> None:
    """Re-tokenise every zone under a new key of the domain, then switch atomically."""
    hub = governed_hub(ctx)
    done = rotate.rotate(hub, domain or domain_from_env(), actor=actor)
    result = {"domain": done.domain, "old_key": done.old_key_id, "new_key": done.new_key_id,
              "tables": len(done.tables), "tokens": done.tokens}
    if json_output:
        print_json(result)
    else:
        console.print(f"[green]rotated[/] {done.domain}: {done.old_key_id} → {done.new_key_id}, "
                      f"{done.tokens} tokens in {len(done.tables)} tables")


@reid_app.command("request")
def reid_request(
    ctx: typer.Context, user: User,
    subject: Annotated[list[str], typer.Option(help="A nominal person id (repeat).")],
    purpose: Annotated[str, typer.Option(help="Purpose (a Tier 2 ISA purpose code).")],
    justification: Annotated[str, typer.Option(help="Why identities are needed.")],
    dpia: Annotated[str, typer.Option(help="The DPIA reference.")],
    partner: Annotated[str, typer.Option(help="The partner owning the data.")],
    json_output: JsonFlag = False,
) -> None:
    """Ask the owning partner to reveal who some nominal persons are."""
    hub = governed_hub(ctx)
    principal = users.principal_for(hub.catalog, user, purpose, justification)
    view = reid.request(hub, principal, subjects=subject, purpose=purpose,
                        justification=justification, dpia_ref=dpia, owning_partner=partner)
    print_json(view.as_dict()) if json_output else console.print(f"request {view.id} filed")


@reid_app.command("approve")
def reid_approve(ctx: typer.Context, request_id: int, user: User,
                 days: Annotated[int, typer.Option(help="Days until it expires.")] = 14,
                 note: Annotated[str | None, typer.Option(help="Decision note.")] = None) -> None:
    """Approve a request (a data owner of the owning partner)."""
    hub = governed_hub(ctx)
    view = reid.approve(hub, users.principal_for(hub.catalog, user), request_id, days=days,
                        note=note)
    console.print(f"request {view.id} approved until {view.expires_at}")


@reid_app.command("reject")
def reid_reject(ctx: typer.Context, request_id: int, user: User,
                note: Annotated[str | None, typer.Option(help="Decision note.")] = None) -> None:
    """Reject a request (a data owner of the owning partner)."""
    hub = governed_hub(ctx)
    reid.reject(hub, users.principal_for(hub.catalog, user), request_id, note=note)
    console.print(f"request {request_id} rejected")


@reid_app.command("reveal")
def reid_reveal(ctx: typer.Context, request_id: int, user: User,
                subject: Annotated[list[str] | None, typer.Option(
                    help="Only these subjects (default: all of the request's).")] = None,
                json_output: JsonFlag = False) -> None:
    """Show the identified records of an approved request's subjects (audited)."""
    hub = governed_hub(ctx)
    view = reid.request_view(hub, request_id)
    principal = users.principal_for(hub.catalog, user, view.purpose, view.justification)
    rows = reid.reveal(hub, principal, request_id, subject).to_pylist()
    print_json(rows) if json_output else show(f"request {request_id}", rows)


@reid_app.command("list")
def reid_list(ctx: typer.Context, user: User,
              status: Annotated[str | None, typer.Option(help="Only this status.")] = None,
              json_output: JsonFlag = False) -> None:
    """Requests you made, or may decide, or (hub admin, auditor) all of them."""
    hub = governed_hub(ctx)
    views = reid.list_requests(hub, users.principal_for(hub.catalog, user), status)
    rows = [v.as_dict() for v in views]
    print_json(rows) if json_output else show("re-identification requests", [
        {k: r[k] for k in ("id", "requester", "owning_partner", "status", "expires_at")}
        for r in rows])
