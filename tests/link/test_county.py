"""Person and household linkage of the session's synthetic county, scored against its truth."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from odahub.hub import Hub
from odahub.link import outputs
from odahub.link.evaluate import evaluate


@pytest.mark.slow
def test_the_county_links_precisely_and_completely(pipeline_hub: Hub, county: Path) -> None:
    truth = pq.read_table(county / "truth" / "records.parquet")
    scores = evaluate(pipeline_hub.engine, outputs.read(pipeline_hub, "links"), truth)
    assert scores["pairwise"]["precision"] >= 0.95, scores
    assert scores["pairwise"]["recall"] >= 0.9, scores
    assert scores["households"]["precision"] >= 0.9, scores
    assert scores["households"]["recall"] >= 0.6, scores
