"""Domain errors. Every error a user can cause is one of these, shown without a traceback."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Problem:
    """One thing wrong with an input, located as precisely as we can."""

    message: str
    file: str | None = None
    line: int | None = None
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = [
            f"{label} {value}"
            for label, value in (
                ("file", self.file),
                ("line", self.line),
                ("row", self.row),
                ("column", self.column),
            )
            if value is not None
        ]
        return f"{', '.join(where)}: {self.message}" if where else self.message


class OdahubError(Exception):
    """Base of every error meant for a person to read."""

    exit_code = 1

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems: list[Problem] = problems or []

    def __str__(self) -> str:
        if not self.problems:
            return self.message
        lines = [self.message, *(f"  - {problem}" for problem in self.problems)]
        return "\n".join(lines)


class ConfigError(OdahubError):
    """Settings are missing or wrong."""


class SpecError(OdahubError):
    """A feed spec or other YAML definition is invalid."""


class DeliveryError(OdahubError):
    """A delivered file cannot be ingested."""


class NotFound(OdahubError):
    """Something named does not exist (or the caller may not know it exists)."""

    exit_code = 2


class AccessDenied(OdahubError):
    """Policy refused. Shown to callers exactly like NotFound."""

    exit_code = 2


class EngineError(OdahubError):
    """A query failed; carries the SQL that failed."""

    def __init__(self, message: str, sql: str | None = None) -> None:
        super().__init__(message)
        self.sql = sql


class IntegrityError(OdahubError):
    """Stored data fails a check (audit chain, checksum, key)."""


@dataclass
class ProblemCollector:
    """Collect every problem before raising, so users fix everything in one go."""

    problems: list[Problem] = field(default_factory=list)

    def add(self, message: str, **where: object) -> None:
        self.problems.append(Problem(message, **where))  # type: ignore[arg-type]

    def raise_if_any(self, error: type[OdahubError], message: str) -> None:
        if self.problems:
            raise error(message, self.problems)
