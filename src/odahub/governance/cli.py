"""CLI commands of governance: users, agreements, audit (the rest in cli_data.py)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from odahub.catalog import Catalog
from odahub.cli_support import console, hub_of, print_json
from odahub.errors import IntegrityError
from odahub.governance import agreements, attach, audit, cli_data, reports, tokens, users
from odahub.governance.rectify import Downstream

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")]
Actor = Annotated[str, typer.Option(help="Who is making the change (recorded in the audit).")]

users_app = typer.Typer(help="Users: partner, roles, nomination, training, passwords, tokens.",
                        no_args_is_help=True)
agreements_app = typer.Typer(help="Information sharing agreements (Tier 1 and Tier 2) as code.",
                             no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log: verify it, list it, report on it.",
                        no_args_is_help=True)
report_app = typer.Typer(help="Audit reports.", no_args_is_help=True)
audit_app.add_typer(report_app, name="report")


def catalog_of(ctx: typer.Context) -> Catalog:
    hub = hub_of(ctx)
    attach(hub)
    return hub.catalog


def register(app: typer.Typer, downstream: Downstream | None = None) -> None:
    """Add governance's commands to the root app; `downstream` re-runs the stages after ingest
    (governance may not import them) so a rectified re-delivery flows through."""
    app.add_typer(users_app, name="users")
    app.add_typer(agreements_app, name="agreements")
    app.add_typer(audit_app, name="audit")
    cli_data.register(app, catalog_of, downstream)


def table(title: str, rows: list[dict[str, object]]) -> None:
    out = Table(title=title)
    for column in rows[0] if rows else ["(none)"]:
        out.add_column(str(column))
    for row in rows:
        out.add_row(*(str(value) for value in row.values()))
    console.print(out)


# -- users ------------------------------------------------------------------------------
@users_app.command("add")
def users_add(
    ctx: typer.Context, username: str,
    partner: Annotated[str, typer.Option(help="Partner code of the user's organisation.")],
    role: Annotated[list[str], typer.Option(help="A role (repeat for several).")],
    nominated: Annotated[bool, typer.Option(help="Nominated for access by the partner.")] = False,
    trained_on: Annotated[str | None, typer.Option(help="Training date (YYYY-MM-DD).")] = None,
    training_days: Annotated[int, typer.Option(help="Days the training stays valid.")] = 365,
    password: Annotated[str | None, typer.Option(
        help="Initial password (omit for single sign-on users).")] = None,
    actor: Actor = "cli",
) -> None:
    """Add or update a user."""
    trained = date.fromisoformat(trained_on) if trained_on else None
    user = users.create(catalog_of(ctx), username, partner=partner, roles=role,
                        password=password or None, nominated=nominated,
                        training_completed=trained,
                        training_expires=trained + timedelta(days=training_days) if trained
                        else None, actor=actor)
    console.print(f"[green]saved[/] user {user.username} ({', '.join(sorted(user.roles))})")


@users_app.command("list")
def users_list(ctx: typer.Context, json_output: JsonFlag = False) -> None:
    """List users with partner, roles, nomination and training."""
    rows = [{"username": u.username, "partner": u.partner, "roles": ",".join(sorted(u.roles)),
             "nominated": u.nominated, "training_expires": u.training_expires,
             "active": u.active} for u in users.all_users(catalog_of(ctx))]
    print_json(rows) if json_output else table("users", rows)  # type: ignore[arg-type]


@users_app.command("disable")
def users_disable(ctx: typer.Context, username: str, actor: Actor = "cli") -> None:
    """Disable a user: every session ends and every token is revoked at once."""
    users.set_active(catalog_of(ctx), username, False, actor=actor)
    console.print(f"[yellow]disabled[/] {username}")


@users_app.command("enable")
def users_enable(ctx: typer.Context, username: str, actor: Actor = "cli") -> None:
    """Enable a user again."""
    users.set_active(catalog_of(ctx), username, True, actor=actor)
    console.print(f"[green]enabled[/] {username}")


@users_app.command("token")
def users_token(ctx: typer.Context, username: str,
                name: Annotated[str, typer.Option(help="What the token is for.")] = "api",
                days: Annotated[int, typer.Option(help="Days until it expires.")] = 90) -> None:
    """Issue an API token (printed once on stdout; only its digest is kept)."""
    print(tokens.issue(catalog_of(ctx), username, name=name, expires_in=timedelta(days=days)))


# -- agreements -------------------------------------------------------------------------
@agreements_app.command("load")
def agreements_load(ctx: typer.Context, file: Path, actor: Actor = "cli") -> None:
    """Load (insert or replace) agreements from a YAML file."""
    codes = agreements.load_file(catalog_of(ctx), file, actor=actor)
    console.print(f"[green]loaded[/] {len(codes)} agreement(s): {', '.join(codes)}")


@agreements_app.command("list")
def agreements_list(ctx: typer.Context, json_output: JsonFlag = False) -> None:
    """List agreements with their status today (in force, future, expired, revoked)."""
    views = agreements.list_agreements(catalog_of(ctx))
    if json_output:
        print_json([asdict(view) for view in views])
        return
    table("agreements", [{"code": v.code, "tier": v.tier, "purpose": v.purpose or "",
                          "start": v.start, "end": v.end, "status": v.status,
                          "shares": len(v.shares)} for v in views])


# -- audit ------------------------------------------------------------------------------
@audit_app.command("verify")
def audit_verify(ctx: typer.Context, json_output: JsonFlag = False,
                 checkpoint: Annotated[Path | None, typer.Option(
                     help="Checkpoint file (default: $ODAHUB_HOME/audit/checkpoints).")] = None,
                 ) -> None:
    """Exit 0 iff the audit chain is intact; otherwise name the first bad entry."""
    result = audit.verify(catalog_of(ctx), checkpoint)
    if json_output:
        print_json(asdict(result))
    if not result.ok:
        raise IntegrityError(f"audit chain broken at {result.message}")
    console.print(f"[green]✓[/] {result.message}")


@audit_app.command("list")
def audit_list(ctx: typer.Context, actor: str | None = None, action: str | None = None,
               dataset: str | None = None, limit: int = 50, json_output: JsonFlag = False,
               ) -> None:
    """The newest audit entries."""
    rows = audit.entries(catalog_of(ctx), actor=actor, action=action, dataset=dataset,
                         limit=limit)
    if json_output:
        print_json(rows)
        return
    table("audit", [{k: r[k] for k in ("seq", "at", "actor", "action", "outcome", "dataset",
                                        "purpose", "subject_count")} for r in rows])


@report_app.command("who-viewed")
def report_who_viewed(ctx: typer.Context, partner: str, json_output: JsonFlag = False) -> None:
    """Who viewed a partner's data: every access to its datasets."""
    rows = reports.who_viewed(catalog_of(ctx), partner)
    print_json(rows) if json_output else table(f"who viewed {partner}'s data", rows)  # type: ignore[arg-type]


@report_app.command("usage")
def report_usage(ctx: typer.Context,
                 by: Annotated[str, typer.Option(help="partner, user or dataset")] = "user",
                 json_output: JsonFlag = False) -> None:
    """Reads of partner data per partner, user or dataset."""
    if by not in ("partner", "user", "dataset"):
        raise typer.BadParameter("--by must be partner, user or dataset")
    rows = reports.usage(catalog_of(ctx), by)  # type: ignore[arg-type]
    print_json(rows) if json_output else table(f"usage by {by}", rows)  # type: ignore[arg-type]
