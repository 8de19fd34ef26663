"""The one interface stages use for compute. SQL is written once, in DuckDB's dialect, and
transpiled with SQLGlot for Spark, so each transform has a single definition."""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from odahub.errors import ConfigError, EngineError

if TYPE_CHECKING:
    from odahub.config import Settings

log = logging.getLogger("odahub.sql")


class Engine(ABC):
    """Run SQL over Arrow tables and Parquet files."""

    name: str
    dialect: str

    def sql(self, query: str) -> pa.Table:
        """Run one query and return its result; every query is logged, failures carry the SQL."""
        started = time.perf_counter()
        try:
            result = self._run(query)
        except Exception as error:  # engines raise many types; callers get one
            raise EngineError(f"{self.name} query failed: {error}", sql=query) from error
        log.debug("%s %.3fs rows=%s\n%s", self.name, time.perf_counter() - started,
                  result.num_rows, query)
        return result

    def execute(self, query: str) -> None:
        self.sql(query)

    def scalar(self, query: str) -> Any:
        table = self.sql(query)
        return table.column(0)[0].as_py() if table.num_rows else None

    @abstractmethod
    def _run(self, query: str) -> pa.Table: ...

    @abstractmethod
    def register(self, name: str, table: pa.Table) -> None:
        """Make an Arrow table queryable under `name`."""

    @abstractmethod
    def unregister(self, name: str) -> None: ...

    @abstractmethod
    def register_parquet(self, name: str, paths: list[Path]) -> None:
        """Make plain Parquet files queryable under `name` without loading them."""

    @abstractmethod
    def stream(self, query: str, batch_rows: int = 100_000) -> Iterator[pa.RecordBatch]:
        """Run a query and yield its result in batches (constant memory)."""

    def close(self) -> None:  # noqa: B027  (optional hook)
        """Release resources."""


def open_engine(settings: Settings) -> Engine:
    if settings.engine == "duckdb":
        from odahub.engine.duck import DuckDBEngine

        return DuckDBEngine(settings.home / "tmp" / "duckdb")
    if settings.engine == "spark":
        from odahub.engine.spark import SparkEngine

        return SparkEngine(settings.home / "tmp" / "spark")
    raise ConfigError(f"unknown engine {settings.engine!r}")
