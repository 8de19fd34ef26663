"""DuckDB, in process: the embedded default."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from odahub.engine.base import Engine
from odahub.engine.sqltext import literal


def quote_path(path: Path | str) -> str:
    return literal(path)


class DuckDBEngine(Engine):
    name = "duckdb"
    dialect = "duckdb"

    def __init__(self, spill_dir: Path | None = None, threads: int | None = None) -> None:
        self.connection = duckdb.connect()
        # DuckDB draws progress bars on stdout for long queries; stdout is for --json output.
        self.connection.execute("SET enable_progress_bar = false")
        if spill_dir is not None:
            spill_dir.mkdir(parents=True, exist_ok=True)
            self.connection.execute(f"SET temp_directory = {quote_path(spill_dir)}")
        if threads:
            self.connection.execute(f"SET threads = {int(threads)}")
        self._registered: dict[str, Any] = {}

    def _run(self, query: str) -> pa.Table:
        # A relation's Arrow output avoids the extra copy a DB-API result makes; statements
        # (CREATE, INSERT, SET, ...) run here too and give the same rows `execute` gives.
        relation = self.connection.sql(query)
        if relation is None:
            return pa.table({})
        return relation.to_arrow_table()

    def register(self, name: str, table: pa.Table) -> None:
        self._registered[name] = table
        self.connection.register(name, table)

    def unregister(self, name: str) -> None:
        self._registered.pop(name, None)
        self.connection.unregister(name)

    def register_parquet(self, name: str, paths: list[Path]) -> None:
        files = ", ".join(quote_path(p) for p in paths)
        self.connection.execute(
            f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet([{files}], "
            "union_by_name = true)")

    def stream(self, query: str, batch_rows: int = 100_000) -> Iterator[pa.RecordBatch]:
        relation = self.connection.sql(query)
        if relation is None:
            return
        yield from relation.to_arrow_reader(batch_rows)

    def close(self) -> None:
        self.connection.close()
