"""The versioned cost-benefit conventions (package data `cba.yaml`, or a partnership's own file)."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from odahub.errors import SpecError

DATA = resources.files("odahub.benefits") / "data"


@dataclass(frozen=True)
class RateBand:
    from_year: int
    to_year: int
    rate: float


@dataclass(frozen=True)
class Conventions:
    version: str
    price_year: str
    standard_rates: tuple[RateBand, ...]
    health_rates: tuple[RateBand, ...]
    health_categories: frozenset[str]
    optimism_by_grade: dict[int, float]
    rag_grade: dict[str, int]
    default_grade: int
    defaults: dict[str, float]
    transfer_phrases: tuple[str, ...]
    transfer_agencies: tuple[tuple[str, str], ...]
    transfer_codes: frozenset[str]
    rag: dict[str, dict[str, float]]
    unit_value_digits: int | None = None

    def optimism_bias(self, rag: str | None = None, grade: int | None = None) -> float:
        """The share by which benefits are reduced, from a grade or a UCD RAG rating."""
        if grade is None:
            grade = self.rag_grade.get((rag or "").strip().upper(), self.default_grade)
        if grade not in self.optimism_by_grade:
            raise SpecError(f"no optimism bias for confidence grade {grade} in conventions "
                            f"{self.version}")
        return self.optimism_by_grade[grade]

    def grade_of(self, rag: str | None) -> int:
        return self.rag_grade.get((rag or "").strip().upper(), self.default_grade)

    def rate(self, year: int, health: bool = False) -> float:
        for band in self.health_rates if health else self.standard_rates:
            if band.from_year <= year <= band.to_year:
                return band.rate
        raise SpecError(f"no discount rate for year {year} in conventions {self.version}")

    def discount_factor(self, year: int, health: bool = False) -> float:
        """Green Book: year 0 undiscounted; each later year compounds that year's rate."""
        factor = 1.0
        for step in range(1, year + 1):
            factor /= 1 + self.rate(step, health)
        return factor

    def rag_of(self, measure: str, value: float) -> str:
        """Red/Amber/Green for a measure whose thresholds say how high is good or bad."""
        bands = self.rag[measure]
        if "red" in bands:  # higher is worse (risk scores)
            worst, better = ("Red", "Green")
            high = bands["red"]
        else:
            worst, better = ("Green", "Red")
            high = bands["green"]
        return worst if value >= high else "Amber" if value >= bands["amber"] else better


def load_conventions(path: Path | None = None) -> Conventions:
    text = path.read_text() if path else (DATA / "cba.yaml").read_text()
    raw = yaml.safe_load(text)
    try:
        return _parse(raw)
    except (KeyError, TypeError, ValueError) as error:
        raise SpecError(f"{path or 'cba.yaml'}: invalid conventions ({error})") from error


def _bands(items: list[dict[str, Any]]) -> tuple[RateBand, ...]:
    return tuple(RateBand(int(i["from_year"]), int(i["to_year"]), float(i["rate"])) for i in items)


def _parse(raw: dict[str, Any]) -> Conventions:
    bias, transfer = raw["optimism_bias"], raw.get("transfer_payments", {})
    return Conventions(
        version=str(raw["version"]),
        price_year=str(raw["price_year"]),
        standard_rates=_bands(raw["discounting"]["standard"]),
        health_rates=_bands(raw["discounting"]["health"]),
        health_categories=frozenset(raw["discounting"].get("health_categories", [])),
        optimism_by_grade={int(k): float(v) for k, v in bias["grades"].items()},
        rag_grade={str(k).upper(): int(v) for k, v in bias["rag_grade"].items()},
        default_grade=int(bias.get("default_grade", max(bias["grades"]))),
        defaults={k: float(v) for k, v in raw.get("defaults", {}).items()},
        transfer_phrases=tuple(p.lower() for p in transfer.get("comment_phrases", [])),
        transfer_agencies=tuple((a[0], a[1]) for a in transfer.get("agencies", [])),
        transfer_codes=frozenset(transfer.get("codes", [])),
        rag={k: {b: float(v) for b, v in bands.items()} for k, bands in raw["rag"].items()},
        unit_value_digits=raw.get("unit_value_digits"),
    )
