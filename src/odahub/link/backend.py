"""Splink's DatabaseAPI on the hub's engine: DuckDBAPI on DuckDB, SparkAPI on Spark.

The only engine-specific lines of the link stage; everything else is the same Splink calls.
"""

from __future__ import annotations

import logging
from typing import Any

import pyarrow as pa
from splink.internals.database_api import DatabaseAPISubClass
from splink.internals.splink_dataframe import SplinkDataFrame

from odahub.engine import Engine
from odahub.errors import ConfigError


def splink_api(engine: Engine) -> DatabaseAPISubClass:
    """A fresh Splink DatabaseAPI sharing the engine's connection or session."""
    logging.getLogger("splink").setLevel(logging.WARNING)
    if engine.name == "duckdb":
        from splink import DuckDBAPI

        return DuckDBAPI(connection=engine.connection)  # type: ignore[attr-defined]
    if engine.name == "spark":
        from splink import SparkAPI

        session: Any = engine.session  # type: ignore[attr-defined]
        _ensure_similarity_jar(session)
        _ensure_checkpoint_dir(session)
        return SparkAPI(spark_session=session)  # type: ignore[no-untyped-call]
    raise ConfigError(f"Splink does not support the {engine.name!r} engine")


def to_arrow(frame: SplinkDataFrame) -> pa.Table:
    """A Splink result as Arrow (Splink's method is untyped)."""
    table: pa.Table = frame.as_pyarrow_table()  # type: ignore[no-untyped-call]
    return table


def _ensure_checkpoint_dir(session: Any) -> None:
    """Splink breaks long Spark lineages with checkpoints; keep them in Spark's local dir."""
    context = session.sparkContext
    if context.getCheckpointDir() is None:
        local = session.conf.get("spark.local.dir", None) or "/tmp"  # noqa: S108
        context.setCheckpointDir(f"{local}/splink-checkpoints")


def _ensure_similarity_jar(session: Any) -> None:
    """Splink's string-similarity UDFs (Jaro-Winkler...) ship as a jar inside Splink."""
    from splink.internals.spark.jar_location import similarity_jar_location

    jar = similarity_jar_location()
    if jar not in (session.conf.get("spark.jars", "") or ""):
        session.sql(f"ADD JAR '{jar}'")
