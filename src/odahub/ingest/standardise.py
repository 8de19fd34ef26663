"""Build the one SQL query that validates and standardises raw text rows.

The query returns the identified-zone columns plus `_reject_column`, `_reject_reason`, `_raw`
(JSON of the source row, only for rejected rows) and `_rid_hash` (for duplicate counting).
For CSV it runs over the whole file's scan in one streaming DuckDB query (ADR 0022); for other
formats per batch on the hub's engine. Vectorised either way, no per-row Python.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pyarrow as pa

from odahub.engine import Engine
from odahub.engine.sqltext import identifier as ident
from odahub.engine.sqltext import literal as lit
from odahub.ingest import rules
from odahub.ingest.detect import date_format_candidates
from odahub.ingest.readers.base import ROW
from odahub.ingest.rules import Rule, cleaned
from odahub.ingest.spec import FeedSpec, snake_case
from odahub.model import load_model

CONCATENATED = {"address", "free_text"}
DATE_ROLES = {"date_of_birth", "event_date"}


@dataclass(frozen=True)
class Plan:
    sql: str
    outputs: list[str]


def output_rules(spec: FeedSpec, date_formats: dict[str, str | None]) -> dict[str, list[
        tuple[str, Rule]]]:
    """For each output column, the (source column, rule) pairs that feed it."""
    model = load_model()
    found: dict[str, list[tuple[str, Rule]]] = {}

    def add(output: str, source: str, rule: Rule) -> None:
        found.setdefault(output, []).append((source, rule))

    for index, (source, column) in enumerate(spec.columns.items()):
        raw = raw_alias(index)
        if source == spec.record_id and column.type is not None:
            continue  # already the record_id output
        formats = formats_for(spec, source, date_formats)
        if column.role is not None:
            for output, rule in role_rules(column.role, raw, source, formats, spec, model.events):
                add(output, source, rule)
        else:
            output = column.attribute or snake_case(source)
            kind = (model.attribute_type(column.attribute) if column.attribute
                    else column.type) or "string"
            add(output, source, rules.typed_rule(raw, kind, output, formats))
    if spec.event_type is not None and "event_type" not in found:
        add("event_type", "", Rule(lit(spec.event_type)))
    return found


def raw_alias(index: int) -> str:
    return f"__raw{index}"


def formats_for(spec: FeedSpec, source: str, detected: dict[str, str | None]) -> list[str]:
    given = spec.columns[source].format or spec.options.date_format or detected.get(source)
    return list(date_format_candidates(given))


def role_rules(role: str, raw: str, source: str, formats: list[str], spec: FeedSpec,
               events: Mapping[str, object]) -> list[tuple[str, Rule]]:
    if role == "full_name":
        full, first, last = rules.full_name_rule(raw)
        taken = {c.role for c in spec.columns.values()}
        derived = [(r, rule) for r, rule in (("first_name", first), ("last_name", last))
                   if r not in taken]
        return [("full_name", full), *derived]
    untrimmed = f"CAST({ident(source)} AS VARCHAR)"
    if role in ("first_name", "middle_name", "last_name"):
        # Read untrimmed: the column's `cleaned()` value is then only needed off the fast path.
        return [(role, rules.name_rule(cleaned(source), strip_titles=role != "last_name",
                                       untrimmed=untrimmed))]
    if role in DATE_ROLES:
        return [(role, rules.date_rule(cleaned(source), formats, source,
                                       role == "date_of_birth", untrimmed=untrimmed))]
    simple = {
        "sex": lambda: rules.sex_rule(raw),
        "postcode": lambda: rules.postcode_rule(cleaned(source), role, untrimmed=untrimmed),
        "nhs_number": lambda: rules.nhs_rule(raw, role),
        "ni_number": lambda: rules.ni_rule(raw, role),
        "phone": lambda: rules.phone_rule(raw, role),
        "email": lambda: rules.email_rule(raw, role),
        "uprn": lambda: rules.uprn_rule(raw, role),
        "address": lambda: rules.address_rule(raw),
        "event_type": lambda: rules.event_type_rule(raw, list(events), spec.event_type),
    }
    maker = simple.get(role)
    return [(role, maker() if maker else Rule(raw))]


def combine(output: str, pairs: list[tuple[str, Rule]]) -> str:
    values = [rule.value for _source, rule in pairs]
    if len(values) == 1:
        return values[0]
    if output in CONCATENATED:
        return f"NULLIF(concat_ws(' | ', {', '.join(values)}), '')"
    return f"coalesce({', '.join(values)})"


def build_plan(spec: FeedSpec, source_columns: list[str], source_file: str, table: str,
               date_formats: dict[str, str | None]) -> Plan:
    """Layers so every cleaned and standardised value is computed once: cleaned text, shared
    sub-expressions, standardised values, one `__bad` test, then the outputs.

    `table` is anything a FROM clause takes: a registered batch, or a whole file's scan (the
    CSV reader fuses reading and validation in one streaming query). The costly parts of a
    rejection (its reasons, the raw row as JSON) are only built for the rows that have them;
    every other row pays for one boolean test (and one short list per flag, flattened).
    """
    found = output_rules(spec, date_formats)
    cleaned_layer = ", ".join([f"{cleaned(spec.record_id)} AS __record_id", *(
        f"{cleaned(source)} AS {raw_alias(i)}" for i, source in enumerate(spec.columns))])
    problems = [("__record_id IS NULL", f"{spec.record_id}: record id missing", spec.record_id)]
    problems += [(f"{raw_alias(i)} IS NULL", f"{source}: required value missing", source)
                 for i, (source, column) in enumerate(spec.columns.items()) if column.required]
    flags: list[tuple[str, str]] = []
    values: list[str] = []
    derived: dict[str, str] = {}
    selects = [f"{lit(spec.dataset)} AS dataset", "__record_id AS record_id",
               f"{lit(source_file)} AS source_file", f"{ident(ROW)} AS source_row"]
    for output, pairs in found.items():
        aliases = []
        for source, original in pairs:
            rule = share(original, derived)
            alias = f"__value{len(values)}"
            values.append(f"{rule.value} AS {alias}")
            aliases.append(Rule(alias))
            problems += [(cond.replace(rule.value, alias), reason, source)
                         for cond, reason in rule.problems]
            flags += [(cond.replace(rule.value, alias), flag) for cond, flag in rule.flags]
        selects.append(f"{combine(output, list(zip([s for s, _ in pairs], aliases, strict=True)))}"
                       f" AS {ident(output)}")
    outputs = ["dataset", "record_id", "source_file", "source_row", *found, "_flags"]
    layers = f"(SELECT *, {cleaned_layer} FROM {table})"
    for level in shared_layers(derived):
        layers = f"(SELECT *, {', '.join(f'{e} AS {a}' for e, a in level)} FROM {layers})"
    layers = f"(SELECT *, {', '.join(values)} FROM {layers})" if values else layers
    problem_tests = [f"coalesce({cond}, false)" for cond, _why, _src in problems]
    flag_tests = [f"coalesce({cond}, false)" for cond, _flag in flags]
    tested = f"(SELECT *, {' OR '.join(problem_tests)} AS __bad FROM {layers})"
    # One short list per flag, flattened: half the cost of filtering a list with a lambda.
    flag_lists = ", ".join(f"CASE WHEN {test} THEN [{lit(flag)}] ELSE []::VARCHAR[] END"
                           for test, (_cond, flag) in zip(flag_tests, flags, strict=True))
    flagged = f"flatten([{flag_lists}])" if flags else "[]::VARCHAR[]"
    first_column = " ".join(f"WHEN {test} THEN {lit(src)}"
                            for test, (_cond, _why, src) in zip(problem_tests, problems,
                                                                strict=True))
    reasons = ", ".join(f"CASE WHEN {test} THEN {lit(why)} END"
                        for test, (_cond, why, _src) in zip(problem_tests, problems, strict=True))
    raw_row = "{" + ", ".join(f"{lit(c)}: {ident(c)}" for c in source_columns if c != ROW) + "}"
    sql = (f"SELECT {', '.join(selects)}, {flagged} AS _flags, "
           f"CASE WHEN __bad THEN CASE {first_column} END END AS _reject_column, "
           f"CASE WHEN __bad THEN concat_ws('; ', {reasons}) END AS _reject_reason, "
           f"CASE WHEN __bad THEN CAST(to_json({raw_row}) AS VARCHAR) END AS _raw, "
           f"hash(__record_id) AS _rid_hash FROM {tested}")
    return Plan(sql=sql, outputs=outputs)


def shared_layers(derived: dict[str, str]) -> list[list[tuple[str, str]]]:
    """The shared sub-expressions as layers: one that contains another reads the other's alias
    from an earlier layer. DuckDB does not compute a repeated CASE once (it leaves CASE out of
    common sub-expressions), so an NHS number's digits inside its number were computed again
    (ADR 0084)."""
    levels: dict[str, int] = {}
    rewritten: dict[str, str] = {}
    for expr in sorted(derived, key=len):  # a contained expression is shorter
        inner = [e for e in sorted(levels, key=len, reverse=True) if e in expr]
        text = expr
        for contained in inner:
            text = text.replace(contained, derived[contained])
        levels[expr] = 1 + max((levels[e] for e in inner), default=0)
        rewritten[expr] = text
    return [[(rewritten[e], derived[e]) for e in derived if levels[e] == level]
            for level in sorted(set(levels.values()))]


def share(rule: Rule, derived: dict[str, str]) -> Rule:
    """Replace a rule's repeated sub-expressions by aliases computed in an earlier layer."""
    if not rule.derived:
        return rule
    value, problems, flags = rule.value, list(rule.problems), list(rule.flags)
    for expression in rule.derived:
        alias = derived.setdefault(expression, f"__shared{len(derived)}")
        value = value.replace(expression, alias)
        problems = [(c.replace(expression, alias), r) for c, r in problems]
        flags = [(c.replace(expression, alias), f) for c, f in flags]
    return Rule(value, problems, flags)


def undated_columns(spec: FeedSpec) -> list[str]:
    """Date columns whose format the spec leaves to detection."""
    return [source for source, column in spec.columns.items()
            if column.format is None and spec.options.date_format is None and (
                column.role in DATE_ROLES or column.type == "date" or (
                    column.attribute is not None
                    and load_model().attribute_type(column.attribute) == "date"))]


def detect_date_formats(engine: Engine, spec: FeedSpec, sample: pa.Table,
                        table: str) -> dict[str, str | None]:
    """For date columns with no format given, pick the common UK form that parses most values."""
    wanted = undated_columns(spec)
    if not wanted or sample.num_rows == 0:
        return {}
    candidates = list(date_format_candidates(None))
    counts = ", ".join(
        f"count(try_strptime({cleaned(source)}, {lit(fmt)})) AS {ident(f'{i}:{j}')}"
        for i, source in enumerate(wanted) for j, fmt in enumerate(candidates))
    engine.register(table, sample)
    try:
        row = engine.sql(f"SELECT {counts} FROM {table}").to_pylist()[0]
    finally:
        engine.unregister(table)
    chosen: dict[str, str | None] = {}
    for i, source in enumerate(wanted):
        scores = [row[f"{i}:{j}"] for j in range(len(candidates))]
        best = max(range(len(candidates)), key=lambda j: (scores[j], -j))
        chosen[source] = candidates[best] if scores[best] else None
    return chosen
