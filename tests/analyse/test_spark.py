"""One definition of the marts: Spark gives what DuckDB gives."""

from __future__ import annotations

from datetime import date

import pytest
from pandas.testing import assert_frame_equal

from odahub.analyse import marts
from odahub.analyse.relations import conform_inputs
from odahub.engine.duck import DuckDBEngine
from tests.analyse import minicounty


@pytest.mark.spark
@pytest.mark.slow
def test_marts_are_the_same_on_spark(tmp_path: object) -> None:
    pytest.importorskip("pyspark")
    from pathlib import Path

    from odahub.engine.spark import SparkEngine

    duck = DuckDBEngine()
    inputs = conform_inputs(duck, minicounty.make(households=60, areas=5))
    inputs.register(duck)
    spark = SparkEngine(Path(str(tmp_path)) / "spark")
    inputs.register(spark)
    as_of = date(2023, 6, 30)
    expected, got = marts.build(duck, as_of), marts.build(spark, as_of)
    for name, table in expected.items():
        key = table.column_names[0]
        left = table.to_pandas().sort_values(key).reset_index(drop=True)
        right = got[name].to_pandas().sort_values(key).reset_index(drop=True)[left.columns]
        assert_frame_equal(left, right, check_dtype=False, check_exact=False, rtol=1e-6)
