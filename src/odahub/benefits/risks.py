"""Risk register: cause / event / effect, controls, probability x impact on a 5x5 matrix."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from odahub.benefits.conventions import DATA, Conventions
from odahub.catalog.tables.benefits import RiskEntry
from odahub.errors import ProblemCollector, SpecError
from odahub.hub import Hub

TEXT_FIELDS = ("cause", "event", "effect", "how_identified", "impact_on", "owner")
LIST_FIELDS = ("triggers", "controls", "further_controls", "next_steps")
SCORES = ("probability", "impact", "residual_probability", "residual_impact")
DATES = ("raised_on", "last_reviewed", "next_review")


@dataclass
class Risk:
    reference: str
    title: str
    probability: int
    impact: int
    residual_probability: int
    residual_impact: int
    cause: str = ""
    event: str = ""
    effect: str = ""
    how_identified: str = ""
    impact_on: str = ""
    owner: str = ""
    triggers: list[str] = field(default_factory=list)
    controls: list[str] = field(default_factory=list)
    further_controls: list[str] = field(default_factory=list)
    next_steps: list[str] = field(default_factory=list)
    status: str = "open"
    raised_on: date | None = None
    last_reviewed: date | None = None
    next_review: date | None = None

    @property
    def score(self) -> int:
        return self.probability * self.impact

    @property
    def residual_score(self) -> int:
        return self.residual_probability * self.residual_impact

    def view(self, conventions: Conventions, today: date | None = None) -> dict[str, Any]:
        """The register row as shown: scores, RAG and whether a review is overdue."""
        today = today or date.today()
        return {**asdict(self), "score": self.score, "residual_score": self.residual_score,
                "rag": conventions.rag_of("risk_score", self.score),
                "residual_rag": conventions.rag_of("risk_score", self.residual_score),
                "review_overdue": bool(self.next_review and self.next_review < today)}


def sample_register() -> Path:
    return Path(str(DATA / "risk-register.yaml"))


def load_register(path: Path | None = None) -> tuple[str, list[Risk]]:
    path = path or sample_register()
    raw = yaml.safe_load(path.read_text())
    problems, risks = ProblemCollector(), []
    for n, item in enumerate(raw.get("risks") or [], start=1):
        bad = [s for s in SCORES if not isinstance(item.get(s), int) or not 1 <= item[s] <= 5]
        if bad or not item.get("reference") or not item.get("title"):
            problems.add(f"a risk needs reference, title and scores 1-5 for {', '.join(SCORES)}"
                         f" (bad: {', '.join(bad) or 'none'})", file=str(path), row=n)
            continue
        risks.append(Risk(**{k: v for k, v in item.items() if k in Risk.__dataclass_fields__}))
    problems.raise_if_any(SpecError, f"{path.name}: the risk register is invalid")
    return str(raw.get("register", path.stem)), risks


def matrix(risks: list[Risk], residual: bool = False) -> list[list[list[str]]]:
    """5x5 grid [impact-1][probability-1] of risk references, for heat-map pages."""
    grid: list[list[list[str]]] = [[[] for _ in range(5)] for _ in range(5)]
    for risk in risks:
        p, i = ((risk.residual_probability, risk.residual_impact) if residual
                else (risk.probability, risk.impact))
        grid[i - 1][p - 1].append(risk.reference)
    return grid


def store_register(hub: Hub, register: str, risks: list[Risk]) -> int:
    """Insert or update each risk of a register by reference."""
    with hub.catalog.session() as session:
        existing = {r.reference: r for r in session.scalars(
            select(RiskEntry).where(RiskEntry.register == register))}
        for risk in risks:
            row = existing.get(risk.reference) or RiskEntry(register=register,
                                                            reference=risk.reference)
            for name, value in asdict(risk).items():
                setattr(row, name, value)
            session.add(row)
    return len(risks)


def read_register(hub: Hub, register: str | None = None) -> list[Risk]:
    with hub.catalog.session() as session:
        query = select(RiskEntry).order_by(RiskEntry.register, RiskEntry.reference)
        if register is not None:
            query = query.where(RiskEntry.register == register)
        return [Risk(**{name: getattr(row, name) for name in Risk.__dataclass_fields__})
                for row in session.scalars(query)]
