"""Quoting for SQL text built from names and values: one definition for every stage."""

from __future__ import annotations

from pathlib import Path


def literal(value: str | Path) -> str:
    """A single-quoted SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


def identifier(name: str) -> str:
    """A double-quoted SQL identifier (column or table name)."""
    return '"' + name.replace('"', '""') + '"'
