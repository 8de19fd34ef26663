"""Measure free-text redaction against identifiers planted in synthetic case notes.

Truth (`truth/pii.parquet`) gives each planted value with its kind and character offsets. Texts
are taken from the identified zone (as the redactor sees them); each planted value is located in
its record's text (the occurrence nearest its planted offset, so ingest's whitespace clean-up does
not matter) and counts as found when a detected span of the matching type covers it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from odahub.hub import Hub
from odahub.privacy.households import gazetteer, record_names
from odahub.privacy.redact import Span, spans

KIND_TO_ENTITY = (  # first match wins: a planted kind → the Presidio entity expected
    ("nhs", "UK_NHS"), ("ni_number", "UK_NINO"), ("nino", "UK_NINO"), ("national_ins", "UK_NINO"),
    ("postcode", "UK_POSTCODE"), ("phone", "PHONE_NUMBER"), ("email", "EMAIL_ADDRESS"),
    ("dob", "DOB"), ("date", "DOB"), ("birth", "DOB"), ("vehicle", "UK_VEHICLE_REGISTRATION"),
    ("address", "ADDRESS"), ("street", "ADDRESS"), ("name", "PERSON"),
)


def entity_of(kind: str) -> str | None:
    kind = kind.lower()
    return next((entity for fragment, entity in KIND_TO_ENTITY if fragment in kind), None)


# Must show (issue 4): recall per planted kind, and precision reported. The issue sets recall for
# the first seven; addresses and vehicle registrations are held to the names' level. Precision
# floors are ours: pattern kinds are near-exact, PERSON is measured against planted subjects only
# (a staff member's name the gazetteer knows counts against it), so its floor is lower.
RECALL_TARGETS = {"UK_NHS": 0.99, "UK_NINO": 0.99, "UK_POSTCODE": 0.98, "PHONE_NUMBER": 0.98,
                  "EMAIL_ADDRESS": 0.98, "DOB": 0.98, "PERSON": 0.95, "ADDRESS": 0.95,
                  "UK_VEHICLE_REGISTRATION": 0.95}
PRECISION_FLOORS = {entity: 0.9 for entity in RECALL_TARGETS} | {"PERSON": 0.7}
LABELS = {"UK_NHS": "NHS number", "UK_NINO": "NI number", "UK_POSTCODE": "postcode",
          "PHONE_NUMBER": "phone", "EMAIL_ADDRESS": "email", "DOB": "date of birth",
          "PERSON": "name", "ADDRESS": "address", "UK_VEHICLE_REGISTRATION": "vehicle reg"}


@dataclass
class Score:
    planted: int = 0
    found: int = 0
    detected: int = 0
    correct: int = 0

    @property
    def recall(self) -> float:
        return self.found / self.planted if self.planted else 1.0

    @property
    def precision(self) -> float:
        return self.correct / self.detected if self.detected else 1.0


@dataclass
class Report:
    by_entity: dict[str, Score] = field(default_factory=lambda: defaultdict(Score))
    missed: list[dict[str, Any]] = field(default_factory=list)
    wrong: list[dict[str, Any]] = field(default_factory=list)
    texts: int = 0
    unlocated: int = 0  # planted values not in their text as ingested (not counted either way)

    def as_dict(self) -> dict[str, dict[str, float]]:
        return {entity: {"planted": s.planted, "found": s.found, "recall": round(s.recall, 4),
                         "detected": s.detected, "precision": round(s.precision, 4)}
                for entity, s in sorted(self.by_entity.items())}

    def shortfalls(self) -> list[str]:
        """Every kind whose recall is under its target or precision under its floor; a kind the
        texts never planted is a shortfall too (nothing measured is not a pass)."""
        problems: list[str] = []
        for entity, target in RECALL_TARGETS.items():
            score = self.by_entity.get(entity, Score())
            if not score.planted:
                problems.append(f"{entity}: nothing planted")
            elif score.recall < target:
                problems.append(f"{entity}: recall {score.recall:.4f} < {target}")
            if score.precision < PRECISION_FLOORS[entity]:
                problems.append(f"{entity}: precision {score.precision:.4f} < "
                                f"{PRECISION_FLOORS[entity]}")
        return problems

    def table(self) -> str:
        """The per-kind table: planted, found, recall (target), detected, precision (floor)."""
        lines = [f"{'kind':<15}{'entity':<25}{'planted':>8}{'found':>7}{'recall':>8}"
                 f"{'target':>8}{'detected':>9}{'precision':>10}{'floor':>7}"]
        for entity in [*RECALL_TARGETS, *sorted(set(self.by_entity) - set(RECALL_TARGETS))]:
            s = self.by_entity.get(entity, Score())
            target = RECALL_TARGETS.get(entity)
            floor = PRECISION_FLOORS.get(entity)
            lines.append(
                f"{LABELS.get(entity, entity):<15}{entity:<25}{s.planted:>8}{s.found:>7}"
                f"{s.recall:>8.3f}{'' if target is None else f'{target:.2f}':>8}{s.detected:>9}"
                f"{s.precision:>10.3f}{'' if floor is None else f'{floor:.2f}':>7}")
        lines.append(f"({self.texts} texts; {self.unlocated} planted values not found verbatim "
                     "in the ingested text, left out. recall: planted values covered by a span "
                     "of their type; precision: spans overlapping a planted value of their type)")
        return "\n".join(lines)


def locate(text: str, value: str, hint: int | None) -> tuple[int, int] | None:
    starts, at = [], text.find(value)
    while at >= 0:
        starts.append(at)
        at = text.find(value, at + 1)
    if not starts:
        return None
    best = min(starts, key=lambda s: abs(s - (hint or 0)))
    return best, best + len(value)


def score_record(text: str, planted: list[dict[str, Any]], found: list[Span],
                 report: Report) -> None:
    located: list[tuple[str, int, int]] = []
    for item in planted:
        entity = entity_of(str(item["kind"]))
        where = locate(text, str(item["value"]), item.get("start"))
        if entity is None:
            continue
        if where is None:
            report.unlocated += 1
            continue
        located.append((entity, *where))
        score = report.by_entity[entity]
        score.planted += 1
        if any(s.entity == entity and s.start <= where[0] and s.end >= where[1] for s in found):
            score.found += 1
        elif len(report.missed) < 50:
            report.missed.append({"entity": entity, "value": item["value"], "text": text})
    report.texts += 1
    for span in found:
        score = report.by_entity[span.entity]
        score.detected += 1
        if any(e == span.entity and span.start < end and span.end > start
               for e, start, end in located):
            score.correct += 1
        elif len(report.wrong) < 500:
            report.wrong.append({"entity": span.entity, "value": text[span.start:span.end],
                                 "context": text[max(0, span.start - 30):span.end + 30]})


def evaluate(hub: Hub, pii: pa.Table, text_column: str = "free_text") -> Report:
    report = Report()
    texts = pii.filter(pc.is_valid(pii["start"]))
    known = gazetteer([hub.lake.read_latest("identified", name)
                       for name in hub.lake.tables("identified")])
    for dataset in sorted(set(texts["dataset"].to_pylist())):
        if hub.lake.latest("identified", dataset) is None:
            continue
        table = hub.lake.read_latest("identified", dataset)
        if text_column not in table.column_names:
            continue
        planted: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in texts.filter(pc.equal(texts["dataset"], dataset)).to_pylist():
            planted[str(row["record_id"])].append(row)
        names = record_names(table)
        ids = table["record_id"].cast(pa.string()).to_pylist()
        for record_id, text, record_names_ in zip(ids, table[text_column].to_pylist(), names,
                                                 strict=True):
            if text:  # texts with nothing planted count too: anything found there is wrong
                found = spans(text, record_names_, known)
                score_record(text, planted.get(record_id, []), found, report)
    return report
