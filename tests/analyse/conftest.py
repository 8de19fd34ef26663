"""Fixtures of the analyse tests: a tiny canonical county on a DuckDB engine."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from odahub.analyse.relations import Inputs, conform_inputs
from odahub.engine.duck import DuckDBEngine
from tests.analyse import minicounty


@pytest.fixture(autouse=True, scope="session")
def quick_models() -> Iterator[None]:
    """Fewer, larger boosting steps and one fold: the tests check the harness, not the tuning."""
    from odahub.analyse import runner, train

    saved, folds = dict(train.LIGHTGBM_PARAMS), runner.FOLDS
    train.LIGHTGBM_PARAMS.update(n_estimators=120, learning_rate=0.06)
    runner.FOLDS = 1
    yield
    train.LIGHTGBM_PARAMS.clear()
    train.LIGHTGBM_PARAMS.update(saved)
    runner.FOLDS = folds


@pytest.fixture(scope="session")
def mini_raw() -> Inputs:
    return minicounty.make(households=1200, areas=60)


@pytest.fixture
def mini(mini_raw: Inputs) -> Iterator[tuple[DuckDBEngine, Inputs]]:
    engine = DuckDBEngine()
    inputs = conform_inputs(engine, Inputs(**{**mini_raw.__dict__}))
    inputs.register(engine)
    yield engine, inputs
    engine.close()
