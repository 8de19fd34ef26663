"""The person linkage model: Splink settings from roles, training, thresholds, persistence.

Training follows Splink's recommended route: the prior from deterministic rules, u by random
sampling, m by expectation maximisation over a few blocking rules. The trained model is kept in
the catalog (`link_models`) so that incremental runs score new records with the same model.
"""

from __future__ import annotations

import logging
import math
from copy import deepcopy
from dataclasses import dataclass
from typing import Any

from splink import Linker, SettingsCreator
from splink.internals.database_api import DatabaseAPISubClass
from splink.internals.splink_dataframe import SplinkDataFrame
from sqlalchemy import select

from odahub.catalog import Catalog
from odahub.catalog.tables.link import LinkModel
from odahub.errors import NotFound
from odahub.link import comparisons

U_SAMPLE_PAIRS = 1_000_000
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


def settings_creator(roles: list[str], extra: list[list[str]] | None = None) -> SettingsCreator:
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=comparisons.comparisons_for(roles),
        blocking_rules_to_generate_predictions=comparisons.blocking_rules_for(roles, extra),
        additional_columns_to_retain=["dataset", "record_id"],
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )


def train(api: DatabaseAPISubClass, table: SplinkDataFrame, roles: list[str],
          extra: list[list[str]] | None = None) -> TrainedModel:
    """Train a new model on the prepared input (`extra`: affordable optional blocking rules)."""
    linker = Linker(table, settings_creator(roles, extra), log_level=None)
    rules = comparisons.deterministic_rules_for(roles)
    if rules:
        linker.training.estimate_probability_two_random_records_match(rules, recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=U_SAMPLE_PAIRS, seed=SEED)
    for block in comparisons.training_blocks_for(roles):
        linker = _expectation_maximisation(linker, table, block)
    settings: dict[str, Any] = _floored(linker.misc.save_model_to_json())
    return TrainedModel(settings=settings, roles=roles, details={"extra_blocking": extra or []})


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
    """A Linker with the trained parameters, with SQL rebuilt for this engine's dialect.

    Stored settings hold SQL in the dialect they were trained on; rebuilding the comparisons from
    the roles and copying m/u across lets a model trained on DuckDB score on Spark.
    """
    dialect = api.sql_dialect.sql_dialect_str
    fresh = settings_creator(model.roles, model.extra_blocking).get_settings(dialect).as_dict()  # type: ignore[no-untyped-call]
    fresh["probability_two_random_records_match"] = model.settings[
        "probability_two_random_records_match"]
    for target, source in zip(fresh["comparisons"], model.settings["comparisons"], strict=True):
        for level, trained in zip(target["comparison_levels"], source["comparison_levels"],
                                  strict=True):
            for key in ("m_probability", "u_probability"):
                if key in trained:
                    level[key] = trained[key]
    return Linker(tables, fresh, log_level=None)


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
    return model
