"""Unit cost editions in the catalog: load a workbook once, read it back as a UnitCostBook."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from odahub.benefits.conventions import Conventions, load_conventions
from odahub.benefits.deflators import DeflatorSeries
from odahub.benefits.ucd_workbook import read_workbook
from odahub.benefits.unitcosts import UnitCost, UnitCostBook, Value
from odahub.catalog.tables.benefits import DeflatorSeriesRow, UnitCostEdition, UnitCostRow
from odahub.errors import NotFound
from odahub.hub import Hub

PACKAGED_WORKBOOK = "unit-cost-database-v1.4.xlsx"


def packaged_workbook() -> Path:
    """The Unit Cost Database v1.4 shipped with odahub (CC BY 4.0, see data/UNIT-COSTS.md)."""
    return Path(str(resources.files("odahub.benefits") / "data" / PACKAGED_WORKBOOK))


@dataclass(frozen=True)
class EditionSummary:
    edition: str
    file_name: str
    sha256: str
    rows: int
    deflator: str
    attribution: str
    loaded: bool  # False when the same file was already loaded


def load_edition(hub: Hub, path: Path | None = None, conventions: Conventions | None = None,
                 edition: str | None = None) -> EditionSummary:
    """Read a workbook and store it as an edition (re-loading the same file changes nothing)."""
    path = path or packaged_workbook()
    if not path.exists():
        raise NotFound(f"no such workbook: {path}")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    book = read_workbook(path, conventions or load_conventions(), edition)
    with hub.catalog.session() as session:
        existing = session.scalar(
            select(UnitCostEdition).where(UnitCostEdition.edition == book.edition))
        if existing is not None and existing.sha256 == digest:
            return _summary(book, path, digest, loaded=False)
        if existing is not None:
            session.execute(delete(UnitCostRow).where(UnitCostRow.edition_id == existing.id))
            session.delete(existing)
            session.flush()
        deflator = store_deflator(session, book.deflator)
        row = UnitCostEdition(edition=book.edition, file_name=path.name, sha256=digest,
                              attribution=book.attribution, deflator_id=deflator.id,
                              rows=len(book.rows))
        session.add(row)
        session.flush()
        session.execute(insert(UnitCostRow), [_as_row(row.id, cost) for cost in book.rows.values()])
    return _summary(book, path, digest, loaded=True)


def store_deflator(session: Session, series: DeflatorSeries) -> DeflatorSeriesRow:
    found = session.scalar(select(DeflatorSeriesRow).where(
        DeflatorSeriesRow.name == series.name, DeflatorSeriesRow.version == series.version))
    if found is None:
        found = DeflatorSeriesRow(name=series.name, version=series.version, source=series.source,
                                  index=dict(series.index),
                                  forecast_years=sorted(series.forecast_years))
        session.add(found)
        session.flush()
    return found


def editions(hub: Hub) -> list[UnitCostEdition]:
    with hub.catalog.session() as session:
        return list(session.scalars(select(UnitCostEdition).order_by(UnitCostEdition.loaded_at)))


def current_book(hub: Hub, edition: str | None = None) -> UnitCostBook:
    """An edition from the catalog (the newest loaded, unless named); loads the packaged one
    the first time nothing is loaded yet."""
    if edition is None and not editions(hub):
        load_edition(hub)
    with hub.catalog.session() as session:
        query = select(UnitCostEdition).order_by(UnitCostEdition.loaded_at.desc())
        if edition is not None:
            query = query.where(UnitCostEdition.edition == edition)
        found = session.scalars(query).first()
        if found is None:
            raise NotFound(f"no unit cost edition {edition!r} is loaded (odahub costs load FILE)")
        deflator = found.deflator
        rows = session.scalars(select(UnitCostRow).where(UnitCostRow.edition_id == found.id)
                               .order_by(UnitCostRow.sheet, UnitCostRow.row)).all()
        series = DeflatorSeries(name=deflator.name, version=deflator.version,
                                index=dict(deflator.index), source=deflator.source,
                                forecast_years=frozenset(deflator.forecast_years))
        costs = {r.code: _as_cost(r) for r in rows}
        return UnitCostBook(edition=found.edition, rows=costs, deflator=series,
                            attribution=found.attribution)


def _value(amount: float | None, year: str | None) -> Value | None:
    return None if amount is None or year is None else Value(amount, year)


def _as_cost(row: UnitCostRow) -> UnitCost:
    return UnitCost(
        code=row.code, sheet=row.sheet, outcome_category=row.outcome_category,
        outcome_detail=row.outcome_detail, description=row.description, unit=row.unit,
        agency=row.agency, agency_detail=row.agency_detail,
        fiscal=_value(row.fiscal_value, row.fiscal_year),
        economic=_value(row.economic_value, row.economic_year),
        social=_value(row.social_value, row.social_year), source=row.source, rag=row.rag,
        comment=row.comment, level=row.level,  # type: ignore[arg-type]
        parent_code=row.parent_code, row=row.row, transfer_payment=row.transfer_payment)


def _as_row(edition_id: int, cost: UnitCost) -> dict[str, object]:
    values: dict[str, object] = {}
    for name in ("fiscal", "economic", "social"):
        value: Value | None = getattr(cost, name)
        values[f"{name}_value"] = value.amount if value else None
        values[f"{name}_year"] = value.price_year if value else None
    return {"edition_id": edition_id, "code": cost.code, "sheet": cost.sheet, "row": cost.row,
            "level": cost.level, "parent_code": cost.parent_code,
            "outcome_category": cost.outcome_category, "outcome_detail": cost.outcome_detail,
            "description": cost.description, "unit": cost.unit, "agency": cost.agency,
            "agency_detail": cost.agency_detail, "source": cost.source, "rag": cost.rag,
            "comment": cost.comment, "transfer_payment": cost.transfer_payment, **values}


def _summary(book: UnitCostBook, path: Path, digest: str, loaded: bool) -> EditionSummary:
    return EditionSummary(edition=book.edition, file_name=path.name, sha256=digest,
                          rows=len(book.rows), deflator=book.deflator.label,
                          attribution=book.attribution, loaded=loaded)
