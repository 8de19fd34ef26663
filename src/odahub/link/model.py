"""The person linkage model: Splink settings from roles, training, thresholds, persistence.

Training follows Splink's recommended route: the prior from deterministic rules, u by random
sampling, m by expectation maximisation over a few blocking rules. The trained model is kept in
the catalog (`link_models`) so that incremental runs score new records with the same model.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from copy import deepcopy
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from splink import Linker, SettingsCreator
from splink.internals.database_api import DatabaseAPISubClass
from splink.internals.splink_dataframe import SplinkDataFrame
from sqlalchemy import select

from odahub.catalog import Catalog
from odahub.catalog.tables.link import LinkModel
from odahub.errors import NotFound
from odahub.link import comparisons, coresidents

U_SAMPLE_PAIRS = 1_000_000
# The deterministic rules' recall assumed before training; replaced by the trained model's.
RECALL_GUESS = 0.7
RECALL_RANGE = (0.05, 1.0)
SEED = 1729
M_FLOOR = 1e-3
U_FLOOR = 1e-6


@dataclass
class TrainedModel:
    """Settings with trained m/u, the roles they cover, and the thresholds chosen from it."""

    settings: dict[str, Any]
    roles: list[str]
    threshold: float = 0.9
    review_low: float = 0.5
    review_high: float = 0.99
    id: int | None = None
    details: dict[str, Any] | None = None

    @property
    def extra_blocking(self) -> list[list[str]]:
        return list((self.details or {}).get("extra_blocking", []))

    @property
    def threshold_weight(self) -> float:
        return probability_to_weight(self.threshold)


def probability_to_weight(probability: float) -> float:
    probability = min(max(probability, 1e-12), 1 - 1e-12)
    return math.log2(probability / (1 - probability))


def weight_to_probability(weight: float) -> float:
    return 1 / (1 + 2 ** (-weight))


def settings_creator(roles: list[str], extra: list[list[str]] | None = None,
                     co_residents: bool = True) -> SettingsCreator:
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=comparisons.comparisons_for(roles, co_residents),
        blocking_rules_to_generate_predictions=comparisons.blocking_rules_for(roles, extra),
        additional_columns_to_retain=[],  # a pair is named by its unique ids
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )


def train(api: DatabaseAPISubClass, table: SplinkDataFrame, roles: list[str],
          extra: list[list[str]] | None = None) -> TrainedModel:
    """Train a new model on the prepared input (`extra`: affordable optional blocking rules)."""
    with _splink_notes() as notes:
        model = _train(api, table, roles, extra)
    # levels no training pair reached keep the floor (_floored); say which, rather than print
    untrained = sorted({f"{comparison}: {level}" for level, comparison in re.findall(
        r"Level (.+?) on comparison (\S+) not observed", "\n".join(notes))})
    assert model.details is not None
    model.details["untrained_levels"] = untrained
    if untrained:
        logging.getLogger(__name__).info("levels without training pairs (floored): %s",
                                         "; ".join(untrained))
    return model


@contextmanager
def _splink_notes() -> Iterator[list[str]]:
    """Splink's warnings during training, kept instead of printed: a county without phone
    numbers has no pair to train the phone levels on, which is expected, not alarming."""
    logger = logging.getLogger("splink")
    notes: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            notes.append(record.getMessage())

    handler, propagate = Keep(logging.WARNING), logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield notes
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def _train(api: DatabaseAPISubClass, table: SplinkDataFrame, roles: list[str],
           extra: list[list[str]] | None) -> TrainedModel:
    linker = Linker(table, settings_creator(roles, extra), log_level=None)
    rules = comparisons.deterministic_rules_for(roles)
    if rules:
        linker.training.estimate_probability_two_random_records_match(rules,
                                                                       recall=RECALL_GUESS)
    linker.training.estimate_u_using_random_sampling(max_pairs=U_SAMPLE_PAIRS, seed=SEED)
    households = coresidents.count_pairs(linker, table, roles)
    if households:
        linker = Linker(table, coresidents.before_training(linker.misc.save_model_to_json(),
                                                          households), log_level=None)
    for block in comparisons.training_blocks_for(roles):
        linker = _expectation_maximisation(linker, table, block)
    settings: dict[str, Any] = _floored(linker.misc.save_model_to_json())
    settings, at_place = coresidents.split_m(settings)
    details: dict[str, Any] = {"extra_blocking": extra or []}
    if rules:
        recall = deterministic_recall(settings, _non_null_shares(linker, table, roles),
                                      comparisons.deterministic_columns_for(roles))
        settings["probability_two_random_records_match"] *= RECALL_GUESS / recall
        details["deterministic_recall"] = round(recall, 4)
    settings = without_matches_in_u(settings, U_SAMPLE_PAIRS)
    settings, counted = coresidents.set_u(settings, households, at_place)
    if counted:
        details["co_residents"] = counted
    return TrainedModel(settings=settings, roles=roles, details=details)


def without_matches_in_u(settings: dict[str, Any], sampled: int) -> dict[str, Any]:
    """Take the true matches out of u estimated by random sampling.

    A random pair is a match with probability λ, so the sampled share of pairs at a level is
    λ·m + (1 − λ)·u, not u. For levels where different people rarely agree (an identifier, a
    date of birth, a whole address) λ·m is most of the share: uncorrected, every such level is
    capped near log2(1/λ) bits however rare a chance agreement really is. The corrected u is
    (share − λ·m) / (1 − λ), but never below the sampling error of the share (√(share / n)),
    since the difference of two near-equal estimates is noise.
    """
    prior = float(settings["probability_two_random_records_match"])
    for comparison in settings["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level") or "u_probability" not in level:
                continue
            share, m = float(level["u_probability"]), float(level.get("m_probability") or 0)
            error = math.sqrt(share / max(sampled, 1))
            level["u_probability"] = max((share - prior * m) / (1 - prior), error, U_FLOOR)
    return settings


def deterministic_recall(settings: dict[str, Any], non_null: dict[str, float],
                         rules: list[tuple[str, ...]]) -> float:
    """The share of true matches the deterministic rules find, by the trained model.

    A rule finds a matching pair when each of its columns is present on both records and agrees
    exactly: per column, (share non-null)² × m of the exact level; rules combine as independent
    chances. The prior is the rules' pair count over this recall, so a guessed recall would set
    the prior (and every probability) wrong by the same factor.
    """
    exact_m = {c["output_column_name"]: _exact_m(c) for c in settings["comparisons"]}
    missed = 1.0
    for rule in rules:
        found = 1.0
        for column in rule:
            found *= non_null.get(column, 0.0) ** 2 * exact_m.get(column, 0.0)
        missed *= 1.0 - found
    low, high = RECALL_RANGE
    return min(max(1.0 - missed, low), high)


def _exact_m(comparison: dict[str, Any]) -> float:
    """m of the first level that is neither null nor co-resident (each comparison's exact
    level)."""
    for level in comparison["comparison_levels"]:
        skip = level.get("is_null_level") or level.get("label_for_charts") in coresidents.LABELS
        if not skip:
            return float(level.get("m_probability") or 0.0)
    return 0.0


def _non_null_shares(linker: Linker, table: SplinkDataFrame, roles: list[str]) -> dict[str, float]:
    columns = [c for c in comparisons.DETERMINISTIC_COLUMNS if c in roles]
    counts = ", ".join(f"count({c}) AS {c}" for c in columns)
    sql = f"SELECT count(*) AS n_records, {counts} FROM {table.physical_name}"
    row = linker.misc.query_sql(sql, output_type="pandas").iloc[0]  # type: ignore[no-untyped-call]
    total = max(int(row["n_records"]), 1)
    return {c: int(row[c]) / total for c in columns}


def _expectation_maximisation(linker: Linker, table: SplinkDataFrame, block: Any) -> Linker:
    """One EM session. A session whose m estimate degenerates (a level hardly seen among its
    pairs drives m to 0) is dropped, restoring the model as it was before it: the other
    sessions estimate those comparisons. (Splink leaves a failed session's edits behind.)"""
    before = linker.misc.save_model_to_json()
    try:
        linker.training.estimate_parameters_using_expectation_maximisation(
            block, estimate_without_term_frequencies=False)
    except ValueError as error:
        logging.getLogger(__name__).warning("EM session on %s skipped: %s", block, error)
        return Linker(table, before, log_level=None)
    return linker


def _floored(settings: dict[str, Any]) -> dict[str, Any]:
    """Give every level an m of at least M_FLOOR and a u of at least U_FLOOR.

    EM leaves a level it never saw among matches at m = 0 or untrained (Splink would then use
    arbitrary defaults): the floor says "no disagreement is rarer than 1 in 1,000 true matches",
    so a disagreement is strong evidence but never infinitely so.
    """
    for comparison in settings["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            level["m_probability"] = max(float(level.get("m_probability") or 0.0), M_FLOOR)
            level["u_probability"] = max(float(level.get("u_probability") or 0.0), U_FLOOR)
    return settings


def linker_for(api: DatabaseAPISubClass, tables: SplinkDataFrame | list[SplinkDataFrame],
               model: TrainedModel) -> Linker:
    """A Linker with the trained parameters, in this engine's dialect.

    Stored settings hold SQL in the dialect they were trained on, which is_current has checked
    against this version's comparisons: on that engine they are used as they are (rendering
    every comparison's SQL again would cost each run a fifth of a second); on another, the
    comparisons are rebuilt from the roles and m/u copied across, so a model trained on DuckDB
    scores on Spark.
    """
    dialect = api.sql_dialect.sql_dialect_str
    if model.settings.get("sql_dialect") == dialect:
        settings = deepcopy(model.settings)
        settings.pop("linker_uid", None)  # each Linker names its cached tables afresh
    else:
        settings = _rendered(model, dialect)
    # pairs carry ids and scores only (models saved before kept dataset and record_id too:
    # half a million pairs each writing four more strings, which nothing reads)
    settings["additional_columns_to_retain"] = []
    # the comparisons are the ones training validated; checking them again costs each run
    return Linker(tables, settings, log_level=None, validate_settings=False)


def _rendered(model: TrainedModel, dialect: str) -> dict[str, Any]:
    """The model's settings with the comparisons' SQL rendered afresh in a dialect."""
    fresh = _settings(model, dialect)
    fresh["probability_two_random_records_match"] = model.settings[
        "probability_two_random_records_match"]
    for target, source in zip(fresh["comparisons"], model.settings["comparisons"], strict=True):
        for level, trained in zip(target["comparison_levels"], source["comparison_levels"],
                                  strict=True):
            for key in ("m_probability", "u_probability"):
                if key in trained:
                    level[key] = trained[key]
    return fresh


def _settings(model: TrainedModel, dialect: str) -> dict[str, Any]:
    """The settings the roles give in a dialect (a copy: callers fill in parameters)."""
    extra = tuple(tuple(rule) for rule in model.extra_blocking or [])
    return deepcopy(_settings_for(tuple(model.roles), extra, dialect))


@lru_cache(maxsize=8)
def _settings_for(roles: tuple[str, ...], extra: tuple[tuple[str, ...], ...],
                  dialect: str) -> dict[str, Any]:
    # built once per process: rendering every comparison's SQL costs a tenth of a second
    settings: dict[str, Any] = settings_creator(list(roles), [list(r) for r in extra]) \
        .get_settings(dialect).as_dict()  # type: ignore[no-untyped-call]
    return settings


def is_current(model: TrainedModel) -> bool:
    """Whether the stored model was trained on this version's comparisons (same names, same
    levels): a model from before a change of comparisons can't be scored, only retrained.
    Read from the comparison creators, without rendering their SQL."""
    fresh = [(c.get("output_column_name", ""), len(c["comparison_levels"]))
             if isinstance(c, dict) else (c.create_output_column_name() or "", c.num_levels)
             for c in comparisons.comparisons_for(model.roles)]
    stored = [(c.get("output_column_name", ""), len(c["comparison_levels"]))
              for c in model.settings["comparisons"]]
    return fresh == stored


# -- persistence -------------------------------------------------------------------------------
def save(catalog: Catalog, model: TrainedModel) -> TrainedModel:
    with catalog.session() as session:
        row = LinkModel(settings=model.settings, roles=model.roles, threshold=model.threshold,
                        review_low=model.review_low, review_high=model.review_high,
                        details=model.details or {})
        session.add(row)
        session.flush()
        model.id = row.id
    return model


def latest(catalog: Catalog) -> TrainedModel | None:
    with catalog.session() as session:
        row = session.scalars(select(LinkModel).order_by(LinkModel.id.desc()).limit(1)).first()
        if row is None:
            return None
        return TrainedModel(settings=deepcopy(row.settings), roles=list(row.roles),
                            threshold=row.threshold, review_low=row.review_low,
                            review_high=row.review_high, id=row.id, details=dict(row.details))


def require_latest(catalog: Catalog) -> TrainedModel:
    model = latest(catalog)
    if model is None:
        raise NotFound("no linkage model yet: run `odahub link --full` first")
    if not is_current(model):
        raise NotFound("the stored linkage model predates this version's comparisons: "
                       "run `odahub link --full --retrain`")
    return model
