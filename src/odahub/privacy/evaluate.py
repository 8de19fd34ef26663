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

    def as_dict(self) -> dict[str, dict[str, float]]:
        return {entity: {"planted": s.planted, "recall": round(s.recall, 4),
                         "precision": round(s.precision, 4)}
                for entity, s in sorted(self.by_entity.items())}


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
        if entity is None or where is None:
            continue
        located.append((entity, *where))
        score = report.by_entity[entity]
        score.planted += 1
        if any(s.entity == entity and s.start <= where[0] and s.end >= where[1] for s in found):
            score.found += 1
        elif len(report.missed) < 50:
            report.missed.append({"entity": entity, "value": item["value"], "text": text})
    for span in found:
        score = report.by_entity[span.entity]
        score.detected += 1
        if any(e == span.entity and span.start < end and span.end > start
               for e, start, end in located):
            score.correct += 1


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
