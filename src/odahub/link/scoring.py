"""Scoring candidate pairs with Splink: all pairs (full re-link) or only pairs touching new
records (incremental, via one predict_between with the persisted model).

Term frequencies are the model's (`frozen`, kept with the stored input, ADR 0076) whenever a
run has them, so both routes give a pair the same score; a run training a model computes them
over every profile and returns them to be kept."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from splink import Linker, block_on
from splink.internals.database_api import DatabaseAPISubClass
from splink.internals.splink_dataframe import SplinkDataFrame

from odahub.link.backend import to_arrow
from odahub.link.comparisons import blocking_columns
from odahub.link.model import TrainedModel, linker_for
from odahub.link.stored import listed_nicks

# Pairs below this weight (p ≈ 0.001) carry no information for thresholds or review.
FLOOR_WEIGHT = -10.0
PAIR_COLUMNS = ["unique_id_l", "unique_id_r", "match_weight", "match_probability"]
SPLINK_EXCLUDED = ("event_date", "household_ref", "relationship")


@dataclass
class Scored:
    pairs: pa.Table
    candidate_pairs: int
    tf: dict[str, pa.Table] = field(default_factory=dict)  # column → (column, tf_column)


def register(api: DatabaseAPISubClass, records: pa.Table, label: str) -> SplinkDataFrame:
    """Register records for Splink (without the household-only context columns)."""
    keep = [c for c in records.schema.names if c not in SPLINK_EXCLUDED]
    name = f"odahub_{label}_{uuid.uuid4().hex[:8]}"
    return api.register(listed_nicks(records.select(keep)), table_name=name)


def _pairs(frame: SplinkDataFrame, floor: float) -> pa.Table:
    table = to_arrow(frame).select(PAIR_COLUMNS)
    frame.drop_table_from_database_and_remove_from_cache()
    return table.filter(pc.greater_equal(table["match_weight"], floor))


def _count(linker: Linker, frame: SplinkDataFrame) -> int:
    sql = f"SELECT count(*) AS n FROM {frame.physical_name}"
    counted = linker.misc.query_sql(sql, output_type="pandas")  # type: ignore[no-untyped-call]
    return int(counted["n"].iloc[0])


def score_all(api: DatabaseAPISubClass, table: SplinkDataFrame, model: TrainedModel,
              frozen: dict[str, pa.Table] | None = None, floor: float = FLOOR_WEIGHT) -> Scored:
    linker = linker_for(api, table, model)
    tf = _use_frozen(api, linker, frozen)
    blocked = linker.inference.compute_blocked_pairs_for_predict()
    candidates = _count(linker, blocked)
    predictions = linker.inference.predict(threshold_match_weight=floor, warning_mode="never")
    pairs = _pairs(predictions, floor)
    blocked.drop_table_from_database_and_remove_from_cache()
    return Scored(pairs=pairs, candidate_pairs=candidates, tf=tf or _tf_tables(linker))


def score_new(api: DatabaseAPISubClass, every: Callable[[], SplinkDataFrame],
              new: SplinkDataFrame, model: TrainedModel,
              frozen: dict[str, pa.Table] | None = None, floor: float = FLOOR_WEIGHT,
              everything: Callable[[], SplinkDataFrame] | None = None) -> Scored:
    """Pairs between new and existing records, and among new records.

    `every` holds the existing records near the new ones and the new records themselves: one
    predict_between(every, new) scores both kinds of pair (a pair of new records comes both
    ways round and a record meets itself; `canonical` and the count see to both), which costs
    one Splink pass where predict_between plus predict_within cost two. It is called once the
    linker is ready (the caller may still be finding those rows).

    Term frequencies are the model's frozen ones (else computed from every record, existing +
    new, as a full re-link without them would), so both routes give the same probabilities.
    With frozen frequencies `every` need only hold the records scored, and `everything` then
    gives every record for when they are not all frozen.
    """
    # predict_between scores the tables it is given: the linker's own input serves only the
    # frequencies, which frozen ones replace, so it is built on the new records (at hand first)
    linker = linker_for(api, new, model)
    tf = _use_frozen(api, linker, frozen)
    if not tf and everything is not None:
        linker = linker_for(api, everything(), model)
    tf = tf or _tf_tables(linker)
    # a rule holding another rule's columns finds no pair that one does not (Splink would
    # only attribute the pair to it): the narrowest rules give the same candidate pairs
    rules = narrowest(blocking_columns(model.roles, model.extra_blocking))
    scored = linker.inference.predict_between(
        every(), new, warning_mode="never",
        blocking_rules_to_generate_predictions=[block_on(*rule) for rule in rules])
    # existing × new pairs once each; new × new ones twice (both ways), never a record itself
    counted = linker.misc.query_sql(  # type: ignore[no-untyped-call]
        f"SELECT count(*) FILTER (WHERE p.unique_id_l NOT IN (SELECT unique_id FROM "
        f"{new.physical_name})) AS between, count(*) FILTER (WHERE p.unique_id_l IN (SELECT "
        f"unique_id FROM {new.physical_name}) AND p.unique_id_l <> p.unique_id_r) AS within "
        f"FROM {scored.physical_name} p", output_type="pandas")
    candidates = int(counted["between"].iloc[0]) + int(counted["within"].iloc[0]) // 2
    pairs = _pairs(scored, floor)
    pairs = pairs.filter(pc.not_equal(pairs["unique_id_l"], pairs["unique_id_r"]))
    return Scored(pairs=pairs, candidate_pairs=candidates, tf=tf)


def near(existing: pa.Table, new: pa.Table, rules: list[tuple[str, ...]],
         named: pa.Array | None = None) -> pa.Table:
    """The existing rows sharing some blocking rule's key with a new row: the only ones
    predict_between can pair with the new rows (the rules are column equalities). Splink
    joins term frequencies onto every row it is given; a million rows cost seconds, these few
    thousand nothing, and the pairs are the same. `named`: which existing rows may be offered
    (the profile rows among stored records, which need not be copied out first).

    In Arrow (ADR 0085): a one-column rule is a hash lookup of the new values, a wider one a
    semi-join against the new rows' distinct keys; nulls match nothing, as in SQL."""
    if not rules or new.num_rows == 0:
        return existing.slice(0, 0)
    rows = pa.array(np.arange(existing.num_rows), pa.int64())
    hit = np.zeros(existing.num_rows, dtype=bool)
    for rule in narrowest(rules):
        if len(rule) == 1:
            values = pc.unique(new[rule[0]].combine_chunks()).drop_null()
            hit |= pc.fill_null(pc.is_in(existing[rule[0]], value_set=values,
                                         skip_nulls=True), False).to_numpy(zero_copy_only=False)
            continue
        keys = new.select(list(rule)).group_by(list(rule)).aggregate([])
        joined = existing.select(list(rule)).append_column("near_row", rows).join(
            keys, list(rule), join_type="left semi")
        hit[joined["near_row"].to_numpy()] = True
    mask = pa.array(hit)
    if named is not None:
        mask = pc.and_(mask, pc.fill_null(named, False))
    return existing.filter(mask)


def narrowest(rules: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """The rules no other rule's columns are a part of: a row sharing (a, b) with a new row
    shares (a), so where (a) is a rule, (a, b) finds no row it does not (date of birth alone
    makes the date-and-name rules redundant for finding rows, not for pairing them)."""
    kept = [rule for rule in rules
            if not any(set(other) < set(rule) for other in rules)]
    return list(dict.fromkeys(tuple(rule) for rule in kept))


def _tf_columns(linker: Linker) -> list[str]:
    return [c.unquote().name for c in linker._settings_obj._term_frequency_columns]


def _use_frozen(api: DatabaseAPISubClass, linker: Linker,
                frozen: dict[str, pa.Table] | None) -> dict[str, pa.Table]:
    """Register the model's frequencies with the linker; {} if they are not all there."""
    if not frozen or set(frozen) != set(_tf_columns(linker)):
        return {}
    for column, table in frozen.items():
        frame = api.register(table, table_name=f"odahub_tf_{column}_{uuid.uuid4().hex[:8]}")
        linker.table_management.register_term_frequency_lookup(frame, column)
    return frozen


def _tf_tables(linker: Linker) -> dict[str, pa.Table]:
    """The frequencies over the linker's input (Splink caches them once computed)."""
    tables = {}
    for column in _tf_columns(linker):
        table = to_arrow(linker.table_management.compute_tf_table(column))
        tables[column] = table.select([column, f"tf_{column}"])
    return tables


def canonical(pairs: pa.Table) -> pa.Table:
    """Order each pair (smaller id left) and drop duplicates, whatever route scored it."""
    left = pc.min_element_wise(pairs["unique_id_l"], pairs["unique_id_r"])
    right = pc.max_element_wise(pairs["unique_id_l"], pairs["unique_id_r"])
    table = pa.table({"unique_id_l": left, "unique_id_r": right,
                      "match_weight": pairs["match_weight"],
                      "match_probability": pairs["match_probability"]})
    grouped = table.group_by(["unique_id_l", "unique_id_r"]).aggregate(
        [("match_weight", "max"), ("match_probability", "max")])
    return pa.table({"unique_id_l": grouped["unique_id_l"], "unique_id_r": grouped["unique_id_r"],
                     "match_weight": grouped["match_weight_max"],
                     "match_probability": grouped["match_probability_max"]}).sort_by(
        [("unique_id_l", "ascending"), ("unique_id_r", "ascending")])
