"""The harness on the tiny county: temporal hold-out, baselines, calibration, fairness, SHAP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date

import numpy as np
import pytest

from odahub.analyse.evaluate import SYNTHETIC, Evaluation, evaluate, splits
from odahub.analyse.explain import top_factors, words
from odahub.analyse.frames import MartCache, matrix
from odahub.analyse.relations import Inputs, conform_inputs
from odahub.analyse.specs import SPECS
from odahub.engine.duck import DuckDBEngine


@pytest.fixture(scope="module")
def da(mini_raw: Inputs) -> Iterator[Evaluation]:
    engine = DuckDBEngine()
    conform_inputs(engine, Inputs(**{**mini_raw.__dict__})).register(engine)
    split = splits(date(2020, 1, 1), date(2025, 12, 31), 365)[0]
    yield evaluate(MartCache(engine), SPECS["da_escalation"], split, rounds=60)
    engine.close()


def test_the_split_is_temporal() -> None:
    split = splits(date(2020, 1, 1), date(2025, 12, 31), 365, folds=2)
    for fold in split:
        assert max(fold.train) < fold.calibrate < fold.test
        # training outcome windows end before the calibration date
        assert (max(fold.train) - fold.calibrate).days <= -365
    assert split[1].test < split[0].test


@pytest.mark.slow
def test_model_beats_base_rate_and_is_calibrated(da: Evaluation) -> None:
    report = da.report
    assert report["label"] == SYNTHETIC
    assert set(report["results"]) >= {"model", "base_rate", "rule", "dash_grade", "logistic"}
    assert report["beats"]["base_rate"]["ci_excludes_baseline"], report["beats"]
    assert report["beats"]["rule"]["auroc_gain"] > 0, report["beats"]
    slope = report["results"]["model"]["point"]["calibration_slope"]
    assert 0.6 < slope < 1.6, slope  # small county: wide; the 20k bench checks 0.9-1.1
    assert report["consistency_problems"] == []
    attributes = {row["attribute"] for row in report["fairness"]}
    assert attributes == {"sex", "ethnicity", "age_band", "deprivation"}
    assert any(row["small_group"] for row in report["fairness"])


@pytest.mark.slow
def test_explanations_are_plain_words_with_evidence(da: Evaluation) -> None:
    x = matrix(da.test, da.model.features)[:20]
    factors = [json.loads(row) for row in top_factors(da.model, x, date(2024, 12, 31))]
    assert any(factors)
    for row in factors:
        for factor in row:
            assert factor["contribution"] > 0 and "_" not in factor["words"], factor
            assert factor["evidence"]
    expected = "household: domestic abuse records in the last 12 months"
    assert words("hh_domestic_abuse_12m") == expected
    assert np.isfinite(da.scores["model"]).all()
