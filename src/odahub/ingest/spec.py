"""Feed specs: the YAML that maps one partner dataset onto the canonical model.

Validated in two passes — shape (pydantic) and meaning (roles, attributes and event types from
the canonical model) — and every problem is collected, with its YAML line, before SpecError.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from odahub.errors import ProblemCollector, SpecError
from odahub.ingest.yamlmarks import load_with_lines, nearest_line
from odahub.model import ATTRIBUTE_TYPES, CanonicalModel, load_model

FORMATS = ("csv", "xlsx", "json", "ndjson", "xml", "parquet", "documents")
ValueType = Literal["string", "integer", "number", "boolean", "date"]
SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")

# Which options make sense for which formats; anything else is a mistake worth reporting.
FORMAT_OPTIONS: dict[str, set[str]] = {
    "csv": {"delimiter", "encoding", "quote", "header_row", "ragged_rows", "max_ragged_share",
            "max_line_bytes"},
    "xlsx": {"sheet", "header_row", "header_rows"},
    "json": {"record_path"},
    "ndjson": {"record_path", "encoding"},
    "xml": {"record_path", "encoding"},
    "parquet": set(),
    "documents": {"ocr"},
}
COMMON_OPTIONS = {"date_format", "extra_columns", "allow_empty"}


class ColumnSpec(BaseModel):
    """How one source column maps onto the model: a role, an event attribute, or a plain type."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    role: str | None = None
    attribute: str | None = None
    type: ValueType | None = None
    format: str | None = None
    required: bool = False


class Options(BaseModel):
    """Reader options; every one may be omitted and is then detected or defaulted."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    delimiter: str | None = Field(default=None, min_length=1, max_length=1)
    encoding: str | None = None
    quote: str | None = Field(default=None, min_length=1, max_length=1)
    sheet: str | int | None = None
    header_row: int | None = Field(default=None, ge=1)
    header_rows: int = Field(default=1, ge=1, le=5)
    record_path: str | None = None
    date_format: str | None = None
    # A few ragged rows are quarantined; many mean a misaligned file (wrong delimiter,
    # truncation), which is refused. `fail` refuses any.
    ragged_rows: Literal["fail", "quarantine"] = "quarantine"
    max_ragged_share: float = Field(default=0.05, ge=0, le=1)
    extra_columns: Literal["fail", "ignore"] = "fail"
    allow_empty: bool = False
    max_line_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    ocr: bool = True


class FeedSpec(BaseModel):
    """One feed: which partner, what format, and what each column means."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    dataset: str = Field(min_length=1, max_length=128)
    partner: str = Field(min_length=1, max_length=64)
    format: Literal["csv", "xlsx", "json", "ndjson", "xml", "parquet", "documents"]
    options: Options = Options()
    record_id: str = Field(min_length=1)
    event_type: str | None = None
    description: str | None = None
    retention_days: int | None = Field(default=None, gt=0)
    columns: dict[str, ColumnSpec] = Field(min_length=1)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_defaults=True)


def parse_spec(text: str, source: str = "<spec>") -> FeedSpec:
    """Parse and validate a spec; raise SpecError listing every problem with its line."""
    problems = ProblemCollector()
    try:
        data, lines = load_with_lines(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problems.add(f"not valid YAML: {error.problem or error}", file=source,
                     line=mark.line + 1 if mark else None)
        problems.raise_if_any(SpecError, f"feed spec {source} is invalid")
        raise AssertionError("unreachable") from error
    if not isinstance(data, dict):
        raise SpecError(f"feed spec {source} is invalid",
                        [_problem("the spec must be a mapping of keys to values", source, 1)])
    spec: FeedSpec | None = None
    try:
        spec = FeedSpec.model_validate(data)
    except ValidationError as error:
        for issue in error.errors():
            loc = tuple(issue["loc"])
            where = ".".join(str(part) for part in loc) or "spec"
            problems.add(f"{where}: {issue['msg']}", file=source, line=nearest_line(lines, loc))
    check_meaning(data, lines, source, problems)
    problems.raise_if_any(SpecError, f"feed spec {source} is invalid")
    assert spec is not None
    return spec


def load_spec(path: Path) -> FeedSpec:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise SpecError(f"no feed spec at {path}") from error
    except UnicodeDecodeError as error:
        raise SpecError(f"feed spec {path} is not UTF-8 text") from error
    return parse_spec(text, str(path))


def spec_from_json(data: dict[str, Any]) -> FeedSpec:
    return FeedSpec.model_validate(data)


def _problem(message: str, source: str, line: int | None) -> Any:
    from odahub.errors import Problem

    return Problem(message, file=source, line=line)


def check_meaning(data: dict[str, Any], lines: dict[tuple[Any, ...], int], source: str,
                  problems: ProblemCollector) -> None:
    """Checks that need the canonical model or span several keys (on the raw mapping, so they
    run even when the shape is wrong and every problem is reported at once)."""
    model = load_model()

    def add(message: str, *loc: Any) -> None:
        problems.add(message, file=source, line=nearest_line(lines, loc))

    dataset = data.get("dataset")
    if isinstance(dataset, str) and not SNAKE.match(dataset):
        add(f"dataset {dataset!r} must be snake_case (a-z, 0-9, _)", "dataset")
    event_type = data.get("event_type")
    if isinstance(event_type, str) and event_type not in model.events:
        add(f"unknown event_type {event_type!r}; known: {', '.join(model.events)}",
            "event_type")
    options: dict[str, Any] = data["options"] if isinstance(data.get("options"), dict) else {}
    fmt = data.get("format")
    if fmt in FORMAT_OPTIONS:
        allowed = FORMAT_OPTIONS[fmt] | COMMON_OPTIONS
        for option in options:
            if option not in allowed:
                add(f"option {option!r} does not apply to format {fmt}", "options", option)
    date_format = options.get("date_format")
    if isinstance(date_format, str) and not valid_date_format(date_format):
        add(f"date_format {date_format!r} is not a strftime format", "options", "date_format")
    columns: dict[str, Any] = data["columns"] if isinstance(data.get("columns"), dict) else {}
    outputs: dict[str, str] = {}
    for name, raw in columns.items():
        try:
            column = ColumnSpec.model_validate(raw)
        except ValidationError:
            continue  # already reported by the shape check
        if name == data.get("record_id") and column.type is not None:
            continue  # the record id column listed with a type: it is output as record_id
        for output in check_column(str(name), column, model, add):
            if output in outputs and output not in MERGEABLE_ROLES:
                add(f"column {name!r} and column {outputs[output]!r} both give {output!r}",
                    "columns", name)
            outputs.setdefault(output, str(name))


MERGEABLE_ROLES = {"address", "free_text", "phone", "email", "other_id"}
RESERVED = {"dataset", "record_id", "source_file", "source_row", "_flags"}


def check_column(name: str, column: ColumnSpec, model: CanonicalModel,
                 add: Any) -> list[str]:
    """Validate one column spec; return the output column name(s) it produces."""
    given = [k for k in ("role", "attribute", "type") if getattr(column, k) is not None]
    if not given:
        add(f"column {name!r} needs one of role, attribute or type", "columns", name)
        return []
    if len(given) > 1 and given != ["attribute", "type"]:
        add(f"column {name!r} gives {' and '.join(given)}; give only one", "columns", name)
    if column.format is not None and not valid_date_format(column.format):
        add(f"format {column.format!r} of column {name!r} is not a strftime date format",
            "columns", name, "format")
    if column.role is not None:
        if column.role not in model.roles:
            add(f"unknown role {column.role!r}; roles are {', '.join(model.roles)}",
                "columns", name, "role")
            return []
        if column.format is not None and model.roles[column.role].kind != "date":
            add(f"format only applies to date columns, not role {column.role!r}",
                "columns", name, "format")
        return [column.role]
    if column.attribute is not None:
        kind = model.attribute_type(column.attribute)
        if kind is None:
            known = sorted({a for e in model.events.values() for a in e.attributes})
            add(f"unknown attribute {column.attribute!r}; attributes are {', '.join(known)}",
                "columns", name, "attribute")
            return []
        return [column.attribute]
    output = snake_case(name)
    if output in RESERVED:
        add(f"column {name!r} would overwrite the reserved column {output!r}", "columns", name)
    assert column.type in ATTRIBUTE_TYPES
    return [output]


def snake_case(name: str) -> str:
    cleaned = re.sub(r"[^0-9a-zA-Z]+", "_", name.strip()).strip("_").lower()
    if not cleaned or cleaned[0].isdigit():
        cleaned = f"col_{cleaned}"
    return cleaned


def valid_date_format(fmt: str) -> bool:
    """A usable date format has directives and round-trips a known date."""
    if "%" not in fmt:
        return False
    sample = datetime(2001, 2, 3, 4, 5, 6)  # noqa: DTZ001  (a calendar date, no zone)
    try:
        return datetime.strptime(sample.strftime(fmt), fmt).date() == sample.date()  # noqa: DTZ007
    except ValueError:
        return False
