"""The benefits commands (registered by `cli.register`): call a plain function, show the result."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from odahub.benefits import service
from odahub.benefits.board_pack import PORTFOLIO_HEADER, RISK_HEADER, BoardPack
from odahub.benefits.conventions import load_conventions
from odahub.benefits.costs_store import current_book, load_edition
from odahub.benefits.evaluation_data import (
    OUTCOMES,
    covariates_of,
    evaluation_table,
    truth_tables,
)
from odahub.benefits.findings import load_findings
from odahub.benefits.interventions import InterventionRecord, lake_tables, record_intervention
from odahub.benefits.savings_marts import risk_lists, savings_from_marts
from odahub.cli_support import console, hub_of, print_json
from odahub.errors import SpecError

costs = typer.Typer(help="Unit costs (GMCA / New Economy Unit Cost Database).",
                    no_args_is_help=True)
savings = typer.Typer(help="Cost to public services and potential savings of findings.",
                      no_args_is_help=True)
portfolio = typer.Typer(help="Reserve, bids, spend and balances.", no_args_is_help=True)
risks = typer.Typer(help="Risk register.", no_args_is_help=True)
interventions = typer.Typer(help="Interventions and their evaluated outcomes.",
                            no_args_is_help=True)
benefits = typer.Typer(help="Benefits realisation: board packs.", no_args_is_help=True)
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output on stdout.")]


def _table(title: str, header: list[str], rows: list[list[Any]]) -> None:
    table = Table(title=title)
    for name in header:
        table.add_column(name)
    for row in rows:
        table.add_row(*(f"{v:,.0f}" if isinstance(v, float) else str(v) for v in row))
    console.print(table)


@costs.command("load")
def costs_load(ctx: typer.Context, file: Annotated[Path | None, typer.Argument(
        help="A Unit Cost Database workbook; the packaged v1.4 if omitted.")] = None,
        edition: Annotated[str | None, typer.Option(help="Edition label.")] = None,
        json_output: JsonOption = False) -> None:
    """Load a Unit Cost Database workbook (v1.4 or a later edition in the same layout)."""
    summary = load_edition(hub_of(ctx), file, edition=edition)
    if json_output:
        print_json(asdict(summary))
        return
    state = "loaded" if summary.loaded else "already loaded"
    console.print(f"[green]{summary.edition} {state}[/]: {summary.rows} unit costs, "
                  f"deflator {summary.deflator}. {summary.attribution}")


@costs.command("show")
def costs_show(ctx: typer.Context, code: str,
               price_year: Annotated[str | None, typer.Option(
                   help="Price year to uprate to, e.g. 2015-16.")] = None,
               json_output: JsonOption = False) -> None:
    """Show one unit cost as published and uprated, with the financial and public-value cases."""
    found = service.unit_cost(hub_of(ctx), code, price_year)
    if json_output:
        print_json(found)
        return
    up = found["uprated"]
    _table(f"{found['code']} — {found['description']}", ["value", "published", "uprated"], [
        [kind, _published(found[kind]), up[kind] if up[kind] is not None else "—"]
        for kind in ("fiscal", "economic", "social")] + [
        ["financial case", "", up["financial_case"]],
        ["public-value case", "", up["public_value_case"]]])
    console.print(f"{found['unit']} · {found['agency']} / {found['agency_detail']} · RAG "
                  f"{found['rag']} · {found['level']} · price year {up['price_year']} "
                  f"({up['deflator']})\n{found['attribution']}")


def _published(value: dict[str, Any] | None) -> str:
    return f"£{value['amount']:,.2f} ({value['price_year']})" if value else "—"


@savings.command("report")
def savings_report_command(
        ctx: typer.Context,
        price_year: Annotated[str | None, typer.Option(help="Price year, e.g. 2015-16.")] = None,
        sample: Annotated[bool, typer.Option(
            "--sample", help="Use the Essex pilot's counts, not the marts' risk lists.")] = False,
        json_output: JsonOption = False) -> None:
    """Annual cost and potential savings for the risk lists in marts (or the Essex sample)."""
    hub, conventions = hub_of(ctx), load_conventions()
    book = current_book(hub)
    if sample or not risk_lists(hub):
        if not sample:
            console.print("no risk lists in marts yet: showing the Essex pilot sample")
        report = service.sample_savings(book, conventions, price_year=price_year)
    else:
        report = savings_from_marts(hub, book, conventions, load_findings(), price_year).report
    if json_output:
        print_json(report.to_dict())
        return
    _table(f"Savings from findings ({report.price_year} prices)",
           ["finding", "count", "unit £", "annual cost £", "saving £/yr", "ROI", "payback"],
           [[f.name, f.count, f.unit_value, f.annual_cost, f.potential_annual_saving,
             f"{f.case.financial_roi or 0:.2f}", f.case.payback_year] for f in report.findings])
    console.print(f"Total annual cost £{report.annual_cost:,.0f}; potential saving "
                  f"£{report.potential_annual_saving:,.0f} a year. {report.attribution}")


@portfolio.command("load")
def portfolio_load(ctx: typer.Context, file: Annotated[Path | None, typer.Argument(
        help="Portfolio YAML; the Essex 2020 sample if omitted.")] = None) -> None:
    """Load a reserve with its bids, spend lines, proposed changes and tracked benefits."""
    summary = service.load_portfolio_file(hub_of(ctx), file)
    console.print(f"[green]{summary.reserve}[/]: {len(summary.bids)} bids, balance "
                  f"£{summary.final_balance:,.0f} after proposed changes")


@portfolio.command("show")
def portfolio_show(ctx: typer.Context, name: Annotated[str | None, typer.Option(
        help="Reserve name.")] = None, json_output: JsonOption = False) -> None:
    """Spend by financial year, balances and the effect of proposed changes."""
    summary = service.portfolio_summary(hub_of(ctx), name)
    if json_output:
        print_json(summary.to_dict())
        return
    pack = BoardPack(title="", prepared=date.today(), portfolio=summary)
    _table(f"{summary.reserve} (£{summary.amount:,.0f})",
           PORTFOLIO_HEADER, pack.portfolio_rows())


@risks.command("load")
def risks_load(ctx: typer.Context, file: Annotated[Path | None, typer.Argument(
        help="Risk register YAML; the sample if omitted.")] = None) -> None:
    """Load or update a risk register."""
    console.print(f"[green]{service.load_risk_file(hub_of(ctx), file)} risks loaded[/]")


@risks.command("show")
def risks_show(ctx: typer.Context, json_output: JsonOption = False) -> None:
    """The register with scores, RAG and overdue reviews."""
    views = service.risk_views(hub_of(ctx))
    if json_output:
        print_json(views)
        return
    pack = BoardPack(title="", prepared=date.today(), risks=views)
    _table("Risk register", RISK_HEADER, pack.risk_rows())


@interventions.command("record")
def interventions_record(
        ctx: typer.Context, programme: str, agency: str, subject_id: str,
        start: Annotated[str, typer.Option(help="Start date, YYYY-MM-DD.")],
        household: Annotated[bool, typer.Option(help="The subject is a household.")] = False,
        end: Annotated[str | None, typer.Option(help="End date, YYYY-MM-DD.")] = None,
        condition: Annotated[list[str] | None, typer.Option(help="A condition (repeat).")] = None
) -> None:
    """Record an intervention for a person (P-…) or household (H-…)."""
    number = record_intervention(hub_of(ctx), InterventionRecord(
        programme=programme, agency=agency, subject_id=subject_id,
        subject_kind="household" if household else "person",
        start_date=date.fromisoformat(start), end_date=date.fromisoformat(end) if end else None,
        conditions=list(condition or [])))
    console.print(f"[green]intervention {number} recorded[/]")


@interventions.command("evaluate")
def interventions_evaluate(
        ctx: typer.Context,
        programme: Annotated[str | None, typer.Option(help="Programme to evaluate.")] = None,
        truth: Annotated[Path | None, typer.Option(
            help="Evaluate from a synthetic county's truth folder instead of the lake.")] = None,
        household: Annotated[bool, typer.Option(help="Evaluate households.")] = False,
        method: Annotated[str, typer.Option(help="propensity or exact.")] = "propensity",
        bootstrap: Annotated[int, typer.Option(help="Bootstrap replicates.")] = 200,
        json_output: JsonOption = False) -> None:
    """Before/after outcomes of the treated against a matched comparison group."""
    if method not in ("propensity", "exact"):
        raise SpecError("--method is propensity or exact")
    hub, unit = hub_of(ctx), "household" if household else "person"
    tables = (truth_tables(truth, unit, programme) if truth
              else lake_tables(hub, unit, programme))  # type: ignore[arg-type]
    units = evaluation_table(hub.engine, *tables)
    from odahub.benefits.evaluation import evaluate  # scikit-learn: load only when used

    result = evaluate(units, covariates_of(units), list(OUTCOMES), method=method,  # type: ignore[arg-type]
                      include_pre_outcomes=False, bootstrap=bootstrap)
    if json_output:
        print_json(result.to_dict())
        return
    _table(f"{programme or 'all programmes'}: {result.matched_treated} of {result.treated} "
           f"treated matched", ["outcome", "naive change", "matched effect", "95% CI"],
           [[e.outcome, f"{e.naive_relative:+.0%}", f"{e.relative_effect:+.0%}",
             f"{e.relative_ci[0]:+.0%} to {e.relative_ci[1]:+.0%}"] for e in result.effects])


@benefits.command("export")
def export(ctx: typer.Context, out: Annotated[list[Path], typer.Option(
        help="Output file(s): .xlsx and/or .pdf (repeat).")],
        title: Annotated[str, typer.Option(help="Title of the pack.")] =
        "Benefits realisation report") -> None:
    """Write a board pack (savings, portfolio, risks, benefits) as XLSX and/or PDF."""
    from odahub.benefits.export_pdf import write_pdf
    from odahub.benefits.export_xlsx import write_xlsx

    pack = service.board_pack(hub_of(ctx), title=title)
    for path in out:
        if path.suffix.lower() not in (".xlsx", ".pdf"):
            raise SpecError(f"{path}: export writes .xlsx or .pdf")
        (write_xlsx if path.suffix.lower() == ".xlsx" else write_pdf)(pack, path)
        console.print(f"[green]wrote[/] {path}")
