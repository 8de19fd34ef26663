"""One linkage run, full or incremental: prepare → (train) → score → cluster → ids → households.

Both modes end in the same clustering over the same kind of scored pairs, so on the same data
and the same model they give the same persons: incremental only avoids re-scoring pairs whose
records were all linked before (their scores are kept in linked/pairs).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from odahub.catalog.base import utcnow
from odahub.catalog.tables.link import LinkRun
from odahub.hub import Hub
from odahub.link import model as link_model
from odahub.link import outputs, review
from odahub.link.backend import splink_api
from odahub.link.cluster import cluster
from odahub.link.comparisons import affordable
from odahub.link.persons import household_tables, person_tables
from odahub.link.prepare import prepare, read_union
from odahub.link.profiles import Profiles, collapse
from odahub.link.scoring import Scored, register, score_all, score_new
from odahub.link.threshold import choose_threshold

Phase = Callable[[str], None]


@dataclass
class LinkOptions:
    mode: str = "full"          # full | incremental
    retrain: bool = False
    datasets: list[str] | None = None
    phase: Phase = field(default=lambda _name: None)


def link(hub: Hub, options: LinkOptions | None = None) -> dict[str, Any]:
    """Link every identified dataset; returns headline numbers (also kept on the run row)."""
    options = options or LinkOptions()
    options.phase("prepare")
    prepared = prepare(hub, read_union(hub, options.datasets))
    previous = outputs.read(hub, "links")
    links, non_links = review.decisions(hub.catalog)
    profiles = collapse(hub.engine, prepared.records, _names(previous),
                        {record for pair in links + non_links for record in pair})
    stored = link_model.latest(hub.catalog)
    incremental = (options.mode == "incremental" and stored is not None and not options.retrain
                   and previous.num_rows > 0 and stored.roles == prepared.roles)
    run_id = _start_run(hub, "incremental" if incremental else "full")
    api = splink_api(hub.engine)
    every = register(api, profiles.records, "records")
    if stored is None or options.retrain or stored.roles != prepared.roles:
        options.phase("train")
        extra = _affordable(hub, profiles, prepared.roles)
        stored = link_model.train(api, every, prepared.roles, extra)
    if incremental:
        options.phase("score new records")
        scored = _score_incremental(hub, api, every, profiles, stored)
    else:
        options.phase("score")
        scored = score_all(api, every, stored)
    scored = Scored(_canonical(scored.pairs), scored.candidate_pairs)
    if stored.id is None:
        stored = _choose_and_save(hub, stored, scored.pairs)
    options.phase("cluster")
    edges = scored.pairs.filter(pc.greater_equal(scored.pairs["match_probability"],
                                                 stored.threshold))
    clusters = profiles.expand(
        cluster(api, profiles.records["unique_id"], edges, links, non_links))
    persons = person_tables(hub, prepared, clusters, edges, previous, run_id, profiles.members)
    options.phase("households")
    households = household_tables(hub, api, prepared, persons.links)
    options.phase("write")
    tables = {"links": households.links, "households": households.households,
              "id_history": persons.history, "pairs": _review_floor(scored.pairs, stored)}
    versions = outputs.write(hub, tables, run_id)
    queued = review.enqueue(hub.catalog, _band(scored.pairs, stored), run_id)
    stats = {
        "mode": "incremental" if incremental else "full", "records": prepared.size,
        "profiles": profiles.size,
        "roles": len(prepared.roles), "candidate_pairs": scored.candidate_pairs,
        "pairs_above_threshold": edges.num_rows, "threshold": round(stored.threshold, 4),
        "persons": persons.count, "households": households.count,
        "review_queued": queued, "model_id": stored.id, "links_version": versions["links"],
    }
    _finish_run(hub, run_id, stored.id, stats)
    return stats


def _score_incremental(hub: Hub, api: Any, every: Any, profiles: Profiles,
                       model: link_model.TrainedModel) -> Scored:
    """Score only profiles without a record linked before; keep the stored scores of the rest."""
    records = profiles.records
    is_new = pc.invert(pc.is_in(records["unique_id"], profiles.known))
    present = records["unique_id"]
    kept = outputs.read(hub, "pairs")
    kept = kept.filter(pc.and_(pc.is_in(kept["unique_id_l"], present),
                               pc.is_in(kept["unique_id_r"], present)))
    if not pc.any(is_new).as_py():
        return Scored(kept, 0)
    existing = register(api, records.filter(pc.invert(is_new)), "existing")
    new = register(api, records.filter(is_new), "new")
    fresh = score_new(api, every, existing, new, model)
    return Scored(pa.concat_tables([kept, fresh.pairs.cast(kept.schema)]), fresh.candidate_pairs)


def _names(links: pa.Table) -> pa.Array:
    return pc.binary_join_element_wise(links["dataset"], links["record_id"], ":")


def _affordable(hub: Hub, profiles: Profiles, roles: list[str]) -> list[list[str]]:
    hub.engine.register("link_prepared", profiles.records.select(
        [c for c in profiles.records.schema.names if c != "first_name_nicks"]))
    try:
        return affordable(hub.engine, "link_prepared", roles, profiles.size)
    finally:
        hub.engine.unregister("link_prepared")


def _canonical(pairs: pa.Table) -> pa.Table:
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


def _choose_and_save(hub: Hub, model: link_model.TrainedModel,
                     pairs: pa.Table) -> link_model.TrainedModel:
    chosen = choose_threshold(pairs["match_probability"])
    model.threshold = chosen["threshold"]
    model.review_low, model.review_high = chosen["review_low"], chosen["review_high"]
    model.details = (model.details or {}) | {
        k: v for k, v in chosen.items() if k.startswith("expected")}
    return link_model.save(hub.catalog, model)


def _review_floor(pairs: pa.Table, model: link_model.TrainedModel) -> pa.Table:
    return pairs.filter(pc.greater_equal(pairs["match_probability"], model.review_low))


def _band(pairs: pa.Table, model: link_model.TrainedModel) -> pa.Table:
    probability = pairs["match_probability"]
    inside = pc.and_(pc.greater_equal(probability, model.review_low),
                     pc.less(probability, model.review_high))
    return pairs.filter(inside)


def _start_run(hub: Hub, mode: str) -> int:
    with hub.catalog.session() as session:
        row = LinkRun(mode=mode)
        session.add(row)
        session.flush()
        return row.id


def _finish_run(hub: Hub, run_id: int, model_id: int | None, stats: dict[str, Any]) -> None:
    with hub.catalog.session() as session:
        row = session.get(LinkRun, run_id)
        assert row is not None
        row.status, row.finished_at, row.model_id = "done", utcnow(), model_id
        row.stats, row.links_version = stats, stats["links_version"]
