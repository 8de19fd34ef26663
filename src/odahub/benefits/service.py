"""Plain functions the CLI, the pipeline step and the web pages call; each returns dataclasses
or dicts ready to render."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import yaml

from odahub.benefits.board_pack import BoardPack
from odahub.benefits.conventions import Conventions, load_conventions
from odahub.benefits.costs_store import current_book
from odahub.benefits.findings import FindingsConfig, load_findings
from odahub.benefits.portfolio import (
    PortfolioSummary,
    load_portfolio,
    sample_portfolio,
    summarise,
)
from odahub.benefits.portfolio_store import read_portfolio, store_portfolio
from odahub.benefits.risks import load_register, read_register, store_register
from odahub.benefits.savings import SavingsReport, savings_report
from odahub.benefits.tracker import benefits_from_yaml, read_benefits, save_benefit
from odahub.benefits.unitcosts import UnitCostBook
from odahub.errors import NotFound
from odahub.hub import Hub


def unit_cost(hub: Hub, code: str, price_year: str | None = None,
              conventions: Conventions | None = None) -> dict[str, Any]:
    """One unit cost as published and uprated, with its constituents (never to be added)."""
    conventions = conventions or load_conventions()
    book = current_book(hub)
    row = book.get(code)
    uprated = book.uprated(code, price_year or conventions.price_year)
    return {"edition": book.edition, "attribution": book.attribution, **row.to_dict(),
            "uprated": uprated.to_dict(),
            "constituents": [c.code for c in book.constituents(code)]}


def sample_savings(book: UnitCostBook, conventions: Conventions,
                   config: FindingsConfig | None = None, price_year: str | None = None
                   ) -> SavingsReport:
    """The Essex pilot's findings at their published counts (the sample savings report)."""
    config = config or load_findings()
    counts = {f.name: (f.count, "published count (Essex pilot)")
              for f in config.findings if f.count is not None}
    return savings_report(book, conventions, config, counts, price_year)


def load_portfolio_file(hub: Hub, path: Path | None = None) -> PortfolioSummary:
    """Store a portfolio YAML (the Essex 2020 sample by default) and its tracked benefits."""
    path = path or sample_portfolio()
    spec = load_portfolio(path)
    store_portfolio(hub, spec)
    for benefit in benefits_from_yaml((yaml.safe_load(path.read_text()) or {}).get(
            "benefits") or []):
        save_benefit(hub, benefit)
    return summarise(spec)


def portfolio_summary(hub: Hub, name: str | None = None) -> PortfolioSummary:
    return summarise(read_portfolio(hub, name))


def load_risk_file(hub: Hub, path: Path | None = None) -> int:
    register, risks = load_register(path)
    return store_register(hub, register, risks)


def risk_views(hub: Hub, conventions: Conventions | None = None,
               today: date | None = None) -> list[dict[str, Any]]:
    conventions = conventions or load_conventions()
    return [risk.view(conventions, today) for risk in read_register(hub)]


def benefit_views(hub: Hub, conventions: Conventions | None = None) -> list[dict[str, Any]]:
    conventions = conventions or load_conventions()
    return [benefit.view(conventions) for benefit in read_benefits(hub)]


def board_pack(hub: Hub, savings: SavingsReport | None = None, title: str | None = None
               ) -> BoardPack:
    """Everything a board paper needs from what the catalog holds."""
    conventions = load_conventions()
    if savings is None:
        savings = sample_savings(current_book(hub), conventions)
    try:
        portfolio: PortfolioSummary | None = portfolio_summary(hub)
    except NotFound:  # no portfolio loaded yet: the pack simply omits it
        portfolio = None
    return BoardPack(title=title or "Benefits realisation report", prepared=date.today(),
                     savings=savings, portfolio=portfolio, risks=risk_views(hub, conventions),
                     benefits=benefit_views(hub, conventions))
