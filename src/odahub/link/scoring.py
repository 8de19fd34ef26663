"""Scoring candidate pairs with Splink: all pairs (full re-link) or only pairs touching new
records (incremental, via predict_between/predict_within with the persisted model)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
from splink import Linker
from splink.internals.database_api import DatabaseAPISubClass
from splink.internals.splink_dataframe import SplinkDataFrame

from odahub.link.backend import to_arrow
from odahub.link.model import TrainedModel, linker_for

# Pairs below this weight (p ≈ 0.001) carry no information for thresholds or review.
FLOOR_WEIGHT = -10.0
PAIR_COLUMNS = ["unique_id_l", "unique_id_r", "match_weight", "match_probability"]
SPLINK_EXCLUDED = ("event_date", "household_ref", "relationship")


@dataclass
class Scored:
    pairs: pa.Table
    candidate_pairs: int


def register(api: DatabaseAPISubClass, records: pa.Table, label: str) -> SplinkDataFrame:
    """Register records for Splink (without the household-only context columns)."""
    keep = [c for c in records.schema.names if c not in SPLINK_EXCLUDED]
    name = f"odahub_{label}_{uuid.uuid4().hex[:8]}"
    return api.register(records.select(keep), table_name=name)


def _pairs(frame: SplinkDataFrame, floor: float) -> pa.Table:
    table = to_arrow(frame).select(PAIR_COLUMNS)
    frame.drop_table_from_database_and_remove_from_cache()
    return table.filter(pc.greater_equal(table["match_weight"], floor))


def _count(linker: Linker, frame: SplinkDataFrame) -> int:
    sql = f"SELECT count(*) AS n FROM {frame.physical_name}"
    counted = linker.misc.query_sql(sql, output_type="pandas")  # type: ignore[no-untyped-call]
    return int(counted["n"].iloc[0])


def score_all(api: DatabaseAPISubClass, table: SplinkDataFrame, model: TrainedModel,
              floor: float = FLOOR_WEIGHT) -> Scored:
    linker = linker_for(api, table, model)
    blocked = linker.inference.compute_blocked_pairs_for_predict()
    candidates = _count(linker, blocked)
    predictions = linker.inference.predict(threshold_match_weight=floor, warning_mode="never")
    pairs = _pairs(predictions, floor)
    blocked.drop_table_from_database_and_remove_from_cache()
    return Scored(pairs=pairs, candidate_pairs=candidates)


def score_new(api: DatabaseAPISubClass, every: SplinkDataFrame, existing: SplinkDataFrame,
              new: SplinkDataFrame, model: TrainedModel, floor: float = FLOOR_WEIGHT) -> Scored:
    """Pairs between new and existing records, and among new records.

    Term frequencies come from every record (existing + new), exactly as a full re-link computes
    them, so both routes give the same probabilities.
    """
    linker = linker_for(api, every, model)
    for column in linker._settings_obj._term_frequency_columns:
        linker.table_management.compute_tf_table(column.unquote().name)
    between = linker.inference.predict_between(existing, new, warning_mode="never")
    within = linker.inference.predict_within(new, warning_mode="never")
    candidates = _count(linker, between) + _count(linker, within)
    pairs = pa.concat_tables([_pairs(between, floor), _pairs(within, floor)])
    return Scored(pairs=pairs, candidate_pairs=candidates)
