"""Union the partner tables a principal may read into one relation, masking refused columns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from odahub.engine.sqltext import identifier as quote
from odahub.engine.sqltext import literal
from odahub.governance.policy import Access
from odahub.web.serving import Serving


def union_sql(serving: Serving, zone: str, accesses: Mapping[str, Access],
              wanted: dict[str, str]) -> str | None:
    """SELECT dataset, record_id and `wanted` columns (name -> SQL type) from every readable
    table of the zone; a column a table lacks, or the agreement withholds, reads as NULL."""
    parts: list[str] = []
    for dataset, access in sorted(accesses.items()):
        view = serving.view.table(zone, dataset)
        if view is None:
            continue
        present = set(serving.view.columns(view))
        if "record_id" not in present:
            continue
        selected = [f"{literal(dataset)} AS dataset", "CAST(record_id AS VARCHAR) AS record_id"]
        for column, sql_type in wanted.items():
            allowed = access.columns is None or column in access.columns
            source = quote(column) if column in present and allowed else "NULL"
            selected.append(f"CAST({source} AS {sql_type}) AS {quote(column)}")
        parts.append(f"SELECT {', '.join(selected)} FROM {view}")
    return "\nUNION ALL\n".join(parts) if parts else None


def keys_join(records: Sequence[Mapping[str, Any]]) -> str:
    """A JOIN clause keeping only the given (dataset, record_id) pairs."""
    values = ", ".join(f"({literal(str(r['dataset']))}, {literal(str(r['record_id']))})"
                       for r in records) or "(NULL, NULL)"
    return f"JOIN (VALUES {values}) AS wanted(dataset, record_id) USING (dataset, record_id)"
