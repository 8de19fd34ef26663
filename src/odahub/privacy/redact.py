"""Free-text redaction: Presidio analyzer + anonymizer in pattern mode, typed placeholders.

No spaCy model is needed (a no-op NLP engine); an installed model can be switched on with the
`nlp` extra (`ODAHUB_REDACT_SPACY_MODEL=en_core_web_lg`) to add statistical PERSON detection.
Each record also brings a deny list: its own subject's and household's names.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import cache
from typing import Any

from presidio_analyzer import (
    AnalyzerEngine,
    EntityRecognizer,
    RecognizerRegistry,
    RecognizerResult,
)
from presidio_analyzer.nlp_engine import NlpEngine, NoOpNlpEngine
from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import OperatorConfig

from odahub.privacy.recognisers import (
    PLACEHOLDERS,
    GazetteerRecogniser,
    event_date,
    names_recogniser,
    pattern_recognisers,
)

SPACY_MODEL_ENV = "ODAHUB_REDACT_SPACY_MODEL"
PARALLEL_FROM = 4000  # texts; below this a process pool costs more than it saves


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    entity: str
    score: float


def _nlp_engine() -> tuple[NlpEngine, bool]:
    """No-op unless a spaCy model is named and installed (never downloaded)."""
    model = os.environ.get(SPACY_MODEL_ENV, "").strip()
    if model:
        from presidio_analyzer.nlp_engine import NlpEngineProvider

        config = {"nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": model}]}
        return NlpEngineProvider(nlp_configuration=config).create_engine(), True
    return NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "none"}]), False


@cache
def analyzer() -> AnalyzerEngine:
    engine, statistical = _nlp_engine()
    registry = RecognizerRegistry(supported_languages=["en"])
    for recogniser in pattern_recognisers():
        registry.add_recognizer(recogniser)
    if statistical:
        registry.add_nlp_recognizer(engine)
    return AnalyzerEngine(registry=registry, nlp_engine=engine, supported_languages=["en"],
                          default_score_threshold=0.0)


@cache
def anonymizer() -> AnonymizerEngine:
    return AnonymizerEngine()  # type: ignore[no-untyped-call]


OPERATORS = {entity: OperatorConfig("replace", {"new_value": placeholder})
             for entity, placeholder in PLACEHOLDERS.items()}
ENTITIES = sorted(PLACEHOLDERS)


def find(text: str, names: Sequence[str] = (),
         gazetteer: frozenset[str] = frozenset()) -> list[RecognizerResult]:
    deny = names_recogniser(list(names))
    extra: list[EntityRecognizer] = [deny] if deny is not None else []
    if gazetteer:
        extra.append(GazetteerRecogniser(gazetteer))
    results: list[RecognizerResult] = analyzer().analyze(
        text=text, language="en", entities=ENTITIES, ad_hoc_recognizers=extra)
    results = [r for r in results if r.entity_type in PLACEHOLDERS]
    # An event's date stays, with whatever matched inside it ("June" of "19 June 2020").
    kept = [(r.start, r.end) for r in results
            if r.entity_type == "DOB" and event_date(text, r.start)]
    return resolve([r for r in results
                    if not any(start <= r.start and r.end <= end for start, end in kept)])


def resolve(results: list[RecognizerResult]) -> list[RecognizerResult]:
    """The spans the anonymizer replaces: intersecting spans of one type merged, then any span
    inside another (or equal to one scoring higher) dropped — a name inside an address or an
    email, a month inside a date. Measures then count what is replaced, not every match."""
    merged: list[RecognizerResult] = []
    for result in sorted(results, key=lambda r: (r.entity_type, r.start, r.end)):
        last = merged[-1] if merged else None
        if last is not None and last.entity_type == result.entity_type \
                and result.start < last.end:
            last.end, last.score = max(last.end, result.end), max(last.score, result.score)
        else:
            merged.append(RecognizerResult(result.entity_type, result.start, result.end,
                                           result.score))
    kept: list[RecognizerResult] = []
    reach = -1
    for result in sorted(merged, key=lambda r: (r.start, -r.end, -r.score)):
        if result.end > reach:
            kept.append(result)
            reach = result.end
    return kept


def redact_one(text: str | None, names: Sequence[str] = (),
               gazetteer: frozenset[str] = frozenset()) -> str | None:
    if not text:
        return text
    results = find(text, names, gazetteer)
    if not results:
        return text
    redacted: str = anonymizer().anonymize(
        text=text, analyzer_results=results, operators=OPERATORS).text  # type: ignore[arg-type]
    return redacted


def spans(text: str, names: Sequence[str] = (),
          gazetteer: frozenset[str] = frozenset()) -> list[Span]:
    return [Span(r.start, r.end, r.entity_type, r.score) for r in find(text, names, gazetteer)]


Chunk = tuple[list[str | None], list[list[str]], frozenset[str]]


def _redact_chunk(chunk: Chunk) -> list[str | None]:
    texts, names, gazetteer = chunk
    return [redact_one(text, record_names, gazetteer)
            for text, record_names in zip(texts, names, strict=True)]


def redact_many(texts: Sequence[str | None], names: Sequence[Sequence[str]],
                gazetteer: frozenset[str] = frozenset(),
                workers: int | None = None) -> list[str | None]:
    """Redact a batch; large batches are spread over a process pool."""
    text_list, name_list = list(texts), [list(n) for n in names]
    workers = workers if workers is not None else min(4, os.cpu_count() or 1)
    if workers <= 1 or len(text_list) < PARALLEL_FROM:
        return _redact_chunk((text_list, name_list, gazetteer))
    size = -(-len(text_list) // (workers * 4))
    chunks: list[Any] = [(text_list[i:i + size], name_list[i:i + size], gazetteer)
                         for i in range(0, len(text_list), size)]
    # spawn, not fork: the parent holds DuckDB and numba threads whose locks a fork would copy
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        return [text for part in pool.map(_redact_chunk, chunks) for text in part]
