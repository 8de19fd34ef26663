"""Price-year uprating with a named, versioned deflator series (an index per financial year)."""

from __future__ import annotations

from dataclasses import dataclass, field

from odahub.benefits.years import financial_year
from odahub.errors import NotFound


@dataclass(frozen=True)
class DeflatorSeries:
    """An index by financial year; uprating multiplies by index[to] / index[from].

    The first series is the one on the Unit Cost Database's Lookups sheet (HM Treasury GDP
    deflators, Budget March 2015, 1989/90 = 100); later releases are added as new versions.
    """

    name: str
    version: str
    index: dict[str, float]
    source: str = ""
    forecast_years: frozenset[str] = field(default_factory=frozenset)

    def factor(self, from_year: str, to_year: str) -> float:
        return self.value(to_year) / self.value(from_year)

    def value(self, year: str) -> float:
        key = financial_year(year)
        if key not in self.index:
            years = sorted(self.index)
            raise NotFound(
                f"deflator series {self.name} {self.version} has no value for {key} "
                f"(it covers {years[0]} to {years[-1]})")
        return self.index[key]

    def uprate(self, amount: float, from_year: str, to_year: str) -> float:
        return amount * self.factor(from_year, to_year)

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}"

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "version": self.version, "source": self.source,
                "index": dict(sorted(self.index.items())),
                "forecast_years": sorted(self.forecast_years)}


def series_from_changes(
    name: str, version: str, changes: dict[str, float], base: float = 100.0, source: str = ""
) -> DeflatorSeries:
    """Build an index from '% change on previous year', as the workbook's Lookups sheet does."""
    by_year = {financial_year(year): change for year, change in changes.items()}
    index: dict[str, float] = {}
    level = base
    for position, year in enumerate(sorted(by_year)):
        if position:  # the first year is the base; its change is relative to an earlier one
            level *= 1 + by_year[year] / 100
        index[year] = level
    return DeflatorSeries(name=name, version=version, index=index, source=source)
