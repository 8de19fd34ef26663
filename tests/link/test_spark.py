"""One code path, two engines: Splink on Spark gives the clusters Splink on DuckDB gives."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from odahub.hub import Hub
from odahub.link.run import LinkOptions, link
from odahub.privacy.keystore import KeyStore
from tests.conftest import make_hub
from tests.link.conftest import febrl_subset
from tests.link.febrl import febrl_identified, write_identified
from tests.link.test_incremental import _partition, _persons


@pytest.mark.spark
@pytest.mark.slow
def test_spark_and_duckdb_give_identical_clusters(tmp_path: Path) -> None:
    pytest.importorskip("pyspark")
    duck = make_hub(tmp_path / "home")
    write_identified(duck, febrl_identified(febrl_subset(100), "febrl3"), "febrl3")
    link(duck)
    on_duckdb = _persons(duck)

    spark = Hub(settings=replace(duck.settings, engine="spark"),
                key_provider_factory=KeyStore.open)
    stats = link(spark, LinkOptions(mode="full"))
    assert stats["mode"] == "full"
    on_spark = _persons(spark)
    assert _partition(on_spark) == _partition(on_duckdb)
    assert on_spark == on_duckdb

    # the incremental route on Spark too: a later delivery, matched against the linked records
    newcomers = febrl_subset(130).drop(febrl_subset(100).index)  # 30 persons, with duplicates
    later = febrl_identified(newcomers, "febrl3_later")
    write_identified(spark, later, "febrl3_later")
    stats = link(spark, LinkOptions(mode="incremental"))
    assert stats["mode"] == "incremental" and stats["prepared_records"] == later.num_rows
    incremental_on_spark = _persons(spark)
    link(duck, LinkOptions(mode="full"))  # DuckDB re-links everything from scratch
    assert _partition(incremental_on_spark) == _partition(_persons(duck))
    spark.close()
    duck.close()
