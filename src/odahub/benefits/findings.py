"""Finding specifications (package data `findings.yaml`): what a risk list is worth."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from odahub.benefits.conventions import DATA
from odahub.errors import ProblemCollector, SpecError


@dataclass(frozen=True)
class Published:
    """A published total with no unit cost behind it (e.g. the Essex CSE figure)."""

    total: float
    count: int
    price_year: str
    agency: str
    note: str = ""


@dataclass(frozen=True)
class FindingSpec:
    name: str
    label: str
    match: tuple[str, ...]
    entity: str
    count: int | None
    select_top: int | None
    unit_cost: str | None
    published: Published | None
    per_entity: float = 1.0
    expected_reduction: float = 1.0
    cashable_share: float = 0.0
    adjustments: dict[str, float] = field(default_factory=dict)
    investment: tuple[tuple[str, tuple[float, ...]], ...] = ()

    def matches(self, table_name: str) -> bool:
        name = table_name.lower()
        return any(word in name for word in self.match)


@dataclass(frozen=True)
class FindingsConfig:
    version: str
    findings: tuple[FindingSpec, ...]

    def by_name(self, name: str) -> FindingSpec:
        for spec in self.findings:
            if spec.name == name:
                return spec
        raise SpecError(f"no finding {name!r}; known: {', '.join(f.name for f in self.findings)}")

    def for_table(self, table_name: str) -> FindingSpec | None:
        return next((spec for spec in self.findings if spec.matches(table_name)), None)


def load_findings(path: Path | None = None) -> FindingsConfig:
    raw = yaml.safe_load(path.read_text() if path else (DATA / "findings.yaml").read_text())
    problems = ProblemCollector()
    specs = []
    for position, item in enumerate(raw.get("findings", []), start=1):
        try:
            specs.append(_spec(item))
        except (KeyError, TypeError, ValueError) as error:
            problems.add(f"invalid finding ({error})", file=str(path or "findings.yaml"),
                         row=position)
    problems.raise_if_any(SpecError, "the findings configuration is invalid")
    return FindingsConfig(version=str(raw["version"]), findings=tuple(specs))


def _spec(item: dict[str, Any]) -> FindingSpec:
    published = item.get("published")
    if not item.get("unit_cost") and not published:
        raise ValueError(f"{item.get('name')}: give a unit_cost code or a published total")
    return FindingSpec(
        name=item["name"], label=item.get("label", item["name"]),
        match=tuple(str(m).lower() for m in item.get("match", [item["name"]])),
        entity=item.get("entity", "household"), count=item.get("count"),
        select_top=item.get("select_top"), unit_cost=item.get("unit_cost"),
        published=Published(**published) if published else None,
        per_entity=float(item.get("per_entity", 1)),
        expected_reduction=float(item.get("expected_reduction", 1)),
        cashable_share=float(item.get("cashable_share", 0)),
        adjustments={k: float(v) for k, v in item.get("adjustments", {}).items()},
        investment=tuple((i["agency"], tuple(float(v) for v in i["per_entity"]))
                         for i in item.get("investment", [])))
