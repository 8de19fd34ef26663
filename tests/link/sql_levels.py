"""Checking a comparison level's SQL condition on hand-made pairs of records."""

from __future__ import annotations

import pyarrow as pa

from odahub.engine.duck import DuckDBEngine


def holds(engine: DuckDBEngine, condition: str, rows: list[dict[str, str | None]]) -> list[bool]:
    """Whether `condition` (over `*_l` / `*_r` columns) holds for each row; null counts false."""
    engine.register("pair_rows", pa.Table.from_pylist(rows))
    try:
        result = engine.sql(f"SELECT coalesce({condition}, false) AS ok FROM pair_rows")
    finally:
        engine.unregister("pair_rows")
    return [bool(v) for v in result["ok"].to_pylist()]
