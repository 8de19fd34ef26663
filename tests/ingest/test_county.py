"""Every feed of the synthetic county ingests, and every row is counted exactly once."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pyarrow.parquet as pq
import pytest

from odahub.hub import Hub
from odahub.ingest import step

synth = pytest.importorskip("odahub.synth")
if not hasattr(synth, "generate_county"):  # the synth stage is built in parallel
    pytest.skip("odahub.synth.generate_county is not built yet", allow_module_level=True)


@pytest.mark.slow
def test_every_synthetic_feed_ingests_with_exact_row_counts(sqlite_hub: Hub,
                                                           county: Path) -> None:
    result = step.run(sqlite_hub, SimpleNamespace(synth_dir=county))
    assert result["failed"] == 0, result["failures"]
    assert result["versions"] == result["feeds"] > 0
    truth = pq.read_table(county / "truth" / "records.parquet").to_pandas()
    expected = truth.groupby("dataset").size().to_dict()
    for spec_path in sorted((county / "specs").glob("*.yaml")):
        dataset = spec_path.stem
        version = sqlite_hub.lake.require_latest("identified", dataset)
        for source in version.details["sources"]:
            assert source["rows_accepted"] + source["rows_quarantined"] == source["rows_read"]
        if dataset in expected:
            assert version.rows_read == expected[dataset], dataset
    assert sqlite_hub.lake.require_latest("reference", "postcodes").rows_accepted > 0
    again = step.run(sqlite_hub, SimpleNamespace(synth_dir=county))
    assert again["versions"] == 0 and again["unchanged"] == result["feeds"]
