from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from odahub.engine.base import Engine
from odahub.engine.duck import DuckDBEngine
from odahub.errors import EngineError

QUERY = """
SELECT agency, count(*) AS events, max(event_date) AS last_event
FROM events GROUP BY agency ORDER BY agency
"""

EVENTS = pa.table({
    "agency": ["police", "police", "school"],
    "event_date": pa.array([10, 30, 20], pa.int32()),
})


def engines() -> list[object]:
    return ["duckdb", pytest.param("spark", marks=[pytest.mark.spark, pytest.mark.slow])]


@pytest.fixture(params=engines())
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Engine:
    if request.param == "duckdb":
        return DuckDBEngine()
    pytest.importorskip("pyspark")
    from odahub.engine.spark import SparkEngine

    return SparkEngine(tmp_path / "spark")


def test_same_sql_gives_same_answer_on_every_engine(engine: Engine) -> None:
    engine.register("events", EVENTS)
    result = engine.sql(QUERY).to_pylist()
    assert result == [
        {"agency": "police", "events": 2, "last_event": 30},
        {"agency": "school", "events": 1, "last_event": 20},
    ]


def test_an_empty_table_registers_with_its_columns(engine: Engine) -> None:
    engine.register("none_yet", EVENTS.slice(0, 0))  # Spark cannot infer this on its own
    found = engine.sql("SELECT agency, count(*) AS n FROM none_yet GROUP BY agency")
    assert found.num_rows == 0 and found.schema.names == ["agency", "n"]


def test_parquet_files_are_queryable(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "events.parquet"
    pq.write_table(EVENTS, path)
    engine.register_parquet("events", [path])
    assert engine.scalar("SELECT count(*) FROM events") == 3


def test_failed_query_carries_its_sql() -> None:
    engine = DuckDBEngine()
    with pytest.raises(EngineError) as caught:
        engine.sql("SELECT * FROM no_such_table")
    assert caught.value.sql == "SELECT * FROM no_such_table"


def test_stream_yields_batches() -> None:
    engine = DuckDBEngine()
    batches = list(engine.stream("SELECT * FROM range(250000)", batch_rows=100_000))
    assert sum(b.num_rows for b in batches) == 250_000
    assert len(batches) >= 2
