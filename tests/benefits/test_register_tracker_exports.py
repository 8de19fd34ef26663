"""Risk register, benefits tracker and portfolio in the catalog; board-pack exports; CLI; step."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from odahub.benefits import step
from odahub.benefits.conventions import load_conventions
from odahub.benefits.export_pdf import write_pdf
from odahub.benefits.export_xlsx import write_xlsx
from odahub.benefits.risks import load_register, matrix
from odahub.benefits.service import (
    benefit_views,
    board_pack,
    load_portfolio_file,
    load_risk_file,
    portfolio_summary,
    risk_views,
)
from odahub.benefits.tracker import record_actual


def test_risk_register_scores_rag_and_plan_fields(hub) -> None:  # type: ignore[no-untyped-def]
    assert load_risk_file(hub) == 3
    assert load_risk_file(hub) == 3  # updating by reference, not duplicating
    views = {r["reference"]: r for r in risk_views(hub, today=date(2020, 7, 1))}
    security = views["R01"]
    assert (security["score"], security["rag"]) == (15, "Red")
    assert (security["residual_score"], security["residual_rag"]) == (10, "Amber")
    assert security["triggers"] and security["further_controls"] and security["how_identified"]
    assert views["R03"]["review_overdue"] and not views["R02"]["review_overdue"]
    _, risks = load_register()
    assert matrix(risks)[4][2] == ["R01"]  # impact 5, probability 3


def test_portfolio_and_tracker_round_trip_through_the_catalog(hub) -> None:  # type: ignore[no-untyped-def]
    loaded = load_portfolio_file(hub)
    again = load_portfolio_file(hub)  # replaces, does not duplicate
    stored = portfolio_summary(hub)
    assert stored.to_dict() == again.to_dict() == loaded.to_dict()
    assert [c["balance"] for c in stored.after_changes] == [208_294, 33_294]
    record_actual(hub, "FCR digital enquiries completed", "2020-06", 330)
    views = {b["name"]: b for b in benefit_views(hub)}
    fcr = views["FCR digital enquiries completed"]
    assert fcr["status"] == "Green" and fcr["quarterly"]["2020-Q2"] == 281 + 300 + 330
    online = views["Online reports diverted from 101"]
    assert online["cashable"] and online["status"] == "Red"  # 1,750 of 2,500 = 70%


def test_board_pack_exports_xlsx_with_charts_and_pdf(sqlite_hub, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    load_portfolio_file(sqlite_hub)
    load_risk_file(sqlite_hub)
    pack = board_pack(sqlite_hub, title="Partnership board")
    xlsx = write_xlsx(pack, tmp_path / "pack.xlsx")
    book = openpyxl.load_workbook(xlsx)
    assert book.sheetnames == ["Summary", "Savings", "Portfolio", "Risks", "Benefits"]
    assert book["Savings"]._charts and book["Portfolio"]._charts
    annual = [row[5] for row in book["Savings"].iter_rows(min_row=2, values_only=True)]
    assert sum(annual) == 1_580_440
    assert "CC BY 4.0" in str(book["Summary"]["A5"].value)
    text = "".join(page.extract_text() for page in PdfReader(write_pdf(pack, tmp_path / "p.pdf"))
                   .pages)
    assert "33,294" in text and "Security of data" in text and "CC BY 4.0" in text


@pytest.mark.slow
def test_cli_commands(tmp_path: Path) -> None:
    from odahub.cli import app

    runner = CliRunner()
    env = {"ODAHUB_HOME": str(tmp_path / "home")}

    def run(*args: str) -> str:
        result = runner.invoke(app, list(args), env=env)
        assert result.exit_code == 0, (args, result.output, result.exception)
        return result.stdout

    run("init")
    assert "already loaded" not in run("costs", "load")
    shown = json.loads(run("costs", "show", "E&S3.0", "--price-year", "2015-16", "--json"))
    assert round(shown["uprated"]["financial_case"]) == 1053
    report = json.loads(run("savings", "report", "--sample", "--json"))
    assert round(report["totals"]["annual_cost"]) == 1_580_440
    run("portfolio", "load")
    assert json.loads(run("portfolio", "show", "--json"))["final_balance"] == 33_294
    run("risks", "load")
    run("interventions", "record", "diversion", "Police", "P-1", "--start", "2021-01-04",
        "--condition", "no further offending")
    run("benefits", "export", "--out", str(tmp_path / "b.xlsx"))
    assert (tmp_path / "b.xlsx").exists()


def test_step_without_risk_lists_says_so_and_returns_headlines(sqlite_hub) -> None:  # type: ignore[no-untyped-def]
    result = step.run(sqlite_hub, None)
    assert result["annual_cost_gbp"] == 1_580_440
    assert result["reserve_balance_gbp"] == 33_294 and result["risks"] == 3
    assert "no risk lists" in result["savings_source"]
    assert result["unit_costs"] == 683
    assert all(isinstance(v, int | float | str) for v in result.values())


@pytest.mark.parametrize("measure,value,expected", [("risk_score", 15, "Red"),
                                                    ("risk_score", 8, "Amber"),
                                                    ("risk_score", 7, "Green"),
                                                    ("benefit_progress", 0.95, "Green"),
                                                    ("benefit_progress", 0.5, "Red")])
def test_rag_thresholds_come_from_versioned_configuration(measure: str, value: float,
                                                          expected: str) -> None:
    assert load_conventions().rag_of(measure, value) == expected
