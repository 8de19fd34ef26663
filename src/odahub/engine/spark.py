"""Apache Spark (pyspark), for when one machine is not enough; local mode in tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import sqlglot

from odahub.engine.base import Engine
from odahub.errors import ConfigError


def spark_session(workdir: Path) -> Any:
    try:
        from pyspark.sql import SparkSession
    except ImportError as error:  # the spark extra is optional
        raise ConfigError("ODAHUB_ENGINE=spark needs the spark extra: pip install "
                          "'odahub[spark]'") from error
    workdir.mkdir(parents=True, exist_ok=True)
    return (
        SparkSession.builder.master("local[2]")
        .appName("odahub")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.local.dir", str(workdir))
        .config("spark.driver.memory", "4g")
        .getOrCreate()
    )


class SparkEngine(Engine):
    name = "spark"
    dialect = "spark"

    def __init__(self, workdir: Path) -> None:
        self.session = spark_session(workdir)

    def transpile(self, query: str) -> str:
        return ";\n".join(sqlglot.transpile(query, read="duckdb", write="spark"))

    def _run(self, query: str) -> pa.Table:
        frame = self.session.sql(self.transpile(query))
        if not frame.columns:
            return pa.table({})
        return frame.toArrow()

    def register(self, name: str, table: pa.Table) -> None:
        if table.num_rows == 0:  # Spark cannot infer a schema from no rows: give it Arrow's
            from pyspark.sql.pandas.types import from_arrow_schema

            frame = self.session.createDataFrame([], from_arrow_schema(table.schema))
        else:
            frame = self.session.createDataFrame(table.to_pandas())
        frame.createOrReplaceTempView(name)

    def unregister(self, name: str) -> None:
        self.session.catalog.dropTempView(name)

    def register_parquet(self, name: str, paths: list[Path]) -> None:
        frame = self.session.read.option("mergeSchema", "true").parquet(*map(str, paths))
        frame.createOrReplaceTempView(name)

    def stream(self, query: str, batch_rows: int = 100_000) -> Iterator[pa.RecordBatch]:
        yield from self._run(query).to_batches(batch_rows)

    def close(self) -> None:
        """The session is shared in-process (Spark allows one); leave it for reuse."""
