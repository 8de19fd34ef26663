"""Unit costs (one row of a Unit Cost Database edition) and the arithmetic on them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

from odahub.benefits.deflators import DeflatorSeries
from odahub.benefits.years import financial_year
from odahub.errors import NotFound, SpecError

Level = Literal["headline", "subsidiary", "constituent"]
LEVELS: tuple[Level, ...] = ("headline", "subsidiary", "constituent")


@dataclass(frozen=True)
class Value:
    """A value as published: the amount and the price year it is in."""

    amount: float
    price_year: str


@dataclass(frozen=True)
class UnitCost:
    code: str
    sheet: str
    outcome_category: str
    outcome_detail: str
    description: str
    unit: str
    agency: str
    agency_detail: str
    fiscal: Value | None
    economic: Value | None
    social: Value | None
    source: str
    rag: str
    comment: str
    level: Level
    parent_code: str | None
    row: int
    transfer_payment: bool = False

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class UpratedCost:
    """One unit cost in a chosen price year, with the financial and public-value cases."""

    code: str
    description: str
    unit: str
    agency: str
    rag: str
    level: Level
    price_year: str
    fiscal: float | None
    economic: float | None
    social: float | None
    transfer_payment: bool
    deflator: str

    @property
    def financial_case(self) -> float:
        """What public bodies save: the fiscal value."""
        return self.fiscal or 0.0

    @property
    def public_value_case(self) -> float:
        """Fiscal value without transfer payments, plus economic and social value."""
        fiscal = 0.0 if self.transfer_payment else (self.fiscal or 0.0)
        return fiscal + (self.economic or 0.0) + (self.social or 0.0)

    def to_dict(self) -> dict[str, object]:
        return {**asdict(self), "financial_case": self.financial_case,
                "public_value_case": self.public_value_case}


@dataclass
class UnitCostBook:
    """An edition of unit costs with the deflator series used to uprate them."""

    edition: str
    rows: dict[str, UnitCost]
    deflator: DeflatorSeries
    attribution: str = ""
    warnings: list[str] = field(default_factory=list)

    def get(self, code: str) -> UnitCost:
        key = code.strip().upper().replace(" ", "")
        for candidate, row in self.rows.items():
            if candidate.upper() == key:
                return row
        raise NotFound(f"no unit cost {code!r} in {self.edition}")

    def uprated(self, code: str, price_year: str, deflator: DeflatorSeries | None = None
                ) -> UpratedCost:
        row, series = self.get(code), deflator or self.deflator

        def up(value: Value | None) -> float | None:
            return None if value is None else series.uprate(
                value.amount, value.price_year, price_year)

        return UpratedCost(
            code=row.code, description=row.description, unit=row.unit, agency=row.agency,
            rag=row.rag, level=row.level, price_year=financial_year(price_year),
            fiscal=up(row.fiscal), economic=up(row.economic), social=up(row.social),
            transfer_payment=row.transfer_payment, deflator=series.label)

    def constituents(self, code: str) -> list[UnitCost]:
        """Rows beneath a headline or subsidiary row (directly or further down)."""
        parents, found = {self.get(code).code}, []
        for row in self.rows.values():  # rows are in workbook order: parents come first
            if row.parent_code in parents:
                parents.add(row.code)
                found.append(row)
        return found

    def check_summable(self, codes: list[str]) -> None:
        """Refuse to add a row to one of its own constituents (it would count costs twice)."""
        chosen = {self.get(code).code for code in codes}
        clashes = [f"{code} contains {below.code}" for code in sorted(chosen)
                   for below in self.constituents(code) if below.code in chosen]
        if clashes:
            raise SpecError("these unit costs must not be summed: a headline or subsidiary "
                            "cost already includes its constituents: " + "; ".join(clashes))

