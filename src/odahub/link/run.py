"""One linkage run, full or incremental: prepare → (train) → score → cluster → ids → households.

Full: every profile pair the blocking rules admit is scored, then clustered. Incremental: only
pairs touching new profiles are scored (Splink's predict_between/predict_within with the stored
model), and the new edges update the previous clusters locally — an old person only changes
when a new record joins it, and only those persons go through id assignment. Both give the same
persons on the same data and model (the previous clusters are the components of the kept edges,
and components of kept + new edges are the old components merged through the new ones). When
that shortcut cannot be trusted (review decisions changed, records vanished, a rejection inside
a merged group), the incremental run re-clusters every kept and new edge instead.

Training runs on a random sample of profiles at most TRAIN_SAMPLE large (ADR 0047): u, m and
the prior are rates, which a sample estimates as well as the whole at a fraction of the cost.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from odahub.catalog.base import utcnow
from odahub.catalog.tables.link import LinkRun
from odahub.engine.sqltext import identifier
from odahub.hub import Hub
from odahub.link import model as link_model
from odahub.link import outputs, review
from odahub.link.backend import splink_api
from odahub.link.cluster import cluster, components
from odahub.link.comparisons import affordable
from odahub.link.persons import (
    PersonTables,
    household_tables,
    local_person_tables,
    person_tables,
)
from odahub.link.prepare import _conform, identified_datasets, link_roles, prepare, read_union
from odahub.link.profiles import Profiles, collapse
from odahub.link.scoring import Scored, register, score_all, score_new
from odahub.link.threshold import choose_threshold

Phase = Callable[[str], None]
TRAIN_SAMPLE = 300_000   # profiles; larger inputs train on a seeded random sample
SAMPLE_SEED = 1729


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
    union = read_union(hub, options.datasets)
    prepared = prepare(hub, union)
    previous = outputs.read(hub, "links")
    identified = _identified_versions(hub, options.datasets)
    last = _last_run_stats(hub)
    links, non_links = review.decisions(hub.catalog)
    profiles = collapse(hub.engine, prepared.records, _names(previous),
                        {record for pair in links + non_links for record in pair})
    stored = link_model.latest(hub.catalog)
    if stored is not None and not link_model.is_current(stored):
        stored = None  # trained on other comparisons (an older version): train afresh
    incremental = (options.mode == "incremental" and stored is not None and not options.retrain
                   and previous.num_rows > 0 and stored.roles == prepared.roles)
    changed = 0
    if incremental:  # a re-delivery that changed linked records is re-scored in full
        changed = _changed_records(hub, union, identified,
                                   (last or {}).get("identified_versions") or {})
        incremental = changed == 0
    run_id = _start_run(hub, "incremental" if incremental else "full")
    api = splink_api(hub.engine)
    every = register(api, profiles.records, "records")
    if stored is None or options.retrain or stored.roles != prepared.roles:
        options.phase("train")
        extra = _affordable(hub, profiles, prepared.roles)
        sample = _training_sample(profiles.records)
        training = every if sample is None else register(api, sample, "training")
        stored = link_model.train(api, training, prepared.roles, extra)
    fingerprint = _decisions_fingerprint(links, non_links)
    if incremental:
        options.phase("score new records")
        scored, fresh = _score_incremental(hub, api, every, profiles, stored)
    else:
        options.phase("score")
        scored, fresh = score_all(api, every, stored), None
    scored = Scored(_canonical(scored.pairs), scored.candidate_pairs)
    if stored.id is None:
        stored = _choose_and_save(hub, stored, scored.pairs)
    options.phase("cluster")
    edges = scored.pairs.filter(pc.greater_equal(scored.pairs["match_probability"],
                                                 stored.threshold))
    persons: PersonTables | None = None
    if fresh is not None and _local_update_allowed(last, prepared, previous, fingerprint):
        persons = _local_persons(hub, prepared, profiles, edges, fresh, stored, previous,
                                 non_links, run_id)
    if persons is None:
        clusters = profiles.expand(
            cluster(profiles.records["unique_id"], edges, links, non_links))
        persons = person_tables(hub, prepared, clusters, edges, previous, run_id,
                                profiles.members)
    options.phase("households")
    households = household_tables(hub, prepared, persons.links)
    options.phase("write")
    tables = {"links": households.links, "households": households.households,
              "id_history": persons.history, "pairs": _review_floor(scored.pairs, stored)}
    versions = outputs.write(hub, tables, run_id)
    queued = review.enqueue(hub.catalog, _band(fresh if fresh is not None else scored.pairs,
                                               stored), run_id)
    stats = {
        "mode": "incremental" if incremental else "full", "records": prepared.size,
        "profiles": profiles.size,
        "roles": len(prepared.roles), "candidate_pairs": scored.candidate_pairs,
        "pairs_above_threshold": edges.num_rows, "threshold": round(stored.threshold, 4),
        "persons": persons.count, "households": households.count,
        "review_queued": queued, "model_id": stored.id, "links_version": versions["links"],
        "decisions": fingerprint, "identified_versions": identified, "changed_records": changed,
    }
    _finish_run(hub, run_id, stored.id, stats)
    return stats


def _identified_versions(hub: Hub, datasets: list[str] | None) -> dict[str, int]:
    names = datasets if datasets is not None else identified_datasets(hub)
    return {name: version.version for name in names
            if (version := hub.lake.latest("identified", name)) is not None}


def _changed_records(hub: Hub, union: pa.Table, versions: dict[str, int],
                     linked: dict[str, int]) -> int:
    """How many records linked before now carry different link roles (a corrected
    re-delivery, say). An incremental run keeps the stored scores of records linked before,
    so it would leave such a record on its old person: any change forces a full scoring."""
    changed = 0
    roles = set(link_roles())
    for name, version in versions.items():
        before = linked.get(name)
        if before is None or before == version:
            continue
        old_version = next((v for v in hub.lake.versions("identified", name)
                            if v.version == before), None)
        if old_version is None:
            continue
        old = hub.lake.read_table(old_version)
        new = union.filter(pc.equal(union["dataset"], name))
        columns = sorted(roles & set(old.schema.names))
        added = [c for c in roles & set(new.schema.names) - set(columns)
                 if new[c].null_count < new.num_rows]
        if added or not set(columns) <= set(new.schema.names):
            changed += int(old.num_rows)  # the dataset's roles themselves changed
            continue
        old = _conform(old.select(["dataset", "record_id", *columns]))
        hub.engine.register("changed_old", old)
        hub.engine.register("changed_new", new.select(["dataset", "record_id", *columns]))
        differs = " OR ".join(f"n.{identifier(c)} IS DISTINCT FROM o.{identifier(c)}"
                              for c in columns) or "FALSE"
        try:
            rows = hub.engine.sql(f"""
                SELECT count(*) AS n FROM changed_new n JOIN changed_old o
                  ON n.dataset = o.dataset AND n.record_id = o.record_id
                WHERE {differs}""")
        finally:
            hub.engine.unregister("changed_old")
            hub.engine.unregister("changed_new")
        changed += int(rows["n"][0].as_py())
    return changed


def _training_sample(records: pa.Table) -> pa.Table | None:
    """A seeded random sample of profiles (ordered by id, so the same input gives the same
    sample on any engine), or None when the input is small enough to train on whole."""
    if records.num_rows <= TRAIN_SAMPLE:
        return None
    ordered = records.sort_by("unique_id")
    chosen = np.sort(np.random.default_rng(SAMPLE_SEED).choice(
        ordered.num_rows, TRAIN_SAMPLE, replace=False))
    return ordered.take(pa.array(chosen))


def _decisions_fingerprint(links: list[tuple[str, str]],
                           non_links: list[tuple[str, str]]) -> str:
    text = "\n".join(sorted(f"+{a}|{b}" for a, b in links) + sorted(f"-{a}|{b}"
                                                                     for a, b in non_links))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _local_update_allowed(last: dict[str, Any] | None, prepared: Any, previous: pa.Table,
                          fingerprint: str) -> bool:
    """The previous persons are a valid base: same decisions, and every record still there."""
    if last is None or last.get("decisions") != fingerprint:
        return False
    present = pc.is_in(_names(previous), prepared.records["unique_id"])
    return bool(pc.all(present).as_py())


def _local_persons(hub: Hub, prepared: Any, profiles: Profiles, edges: pa.Table,
                   fresh: pa.Table, model: link_model.TrainedModel, previous: pa.Table,
                   non_links: list[tuple[str, str]], run_id: int) -> PersonTables | None:
    """Merge the previous persons through the new edges; None if a rejection forbids it."""
    new_edges = _canonical(fresh)
    new_edges = new_edges.filter(pc.greater_equal(new_edges["match_probability"],
                                                  model.threshold))
    members = profiles.members          # record unique_id → profile_id
    person_of_record = pa.table({"unique_id": _names(previous),
                                 "person_id": previous["person_id"]})
    # a profile's node: the person it was in, or itself if it is new
    rep = members.join(person_of_record, "unique_id", join_type="left outer")
    rep = rep.group_by("profile_id").aggregate([("person_id", "min")])
    node_of = pc.if_else(pc.is_valid(rep["person_id_min"]),
                         pc.binary_join_element_wise("\x1e", rep["person_id_min"], ""),
                         rep["profile_id"])
    nodes = pa.table({"profile_id": rep["profile_id"], "node": node_of})
    left = new_edges.join(nodes.rename_columns(["unique_id_l", "node_l"]), "unique_id_l",
                          join_type="inner")
    both = left.join(nodes.rename_columns(["unique_id_r", "node_r"]), "unique_id_r",
                     join_type="inner")
    touched = pc.unique(pa.concat_arrays([both["node_l"].combine_chunks(),
                                          both["node_r"].combine_chunks()]))
    # every profile holding a record not linked before (a new profile, or a new record with
    # the identity of a known one) changes its person
    unlinked = pc.invert(pc.is_in(members["unique_id"], person_of_record["unique_id"]))
    grown = nodes.filter(pc.is_in(nodes["profile_id"], members.filter(unlinked)["profile_id"]))
    graph_nodes = pc.unique(pa.concat_arrays([touched, grown["node"].combine_chunks()]))
    groups = components(graph_nodes, both["node_l"], both["node_r"])
    # records of every affected node → their new group
    affected = nodes.join(groups.rename_columns(["node", "group"]), "node", join_type="inner")
    records = members.join(affected.select(["profile_id", "group"]), "profile_id",
                           join_type="inner")
    if non_links:
        group_of = dict(zip(records["unique_id"].to_pylist(), records["group"].to_pylist(),
                            strict=True))
        if any(a in group_of and group_of.get(b) == group_of[a] for a, b in non_links):
            return None
    key = records.group_by("group").aggregate([("unique_id", "min")])
    clusters = records.join(key, "group", join_type="inner").select(["unique_id", "unique_id_min"])
    clusters = clusters.rename_columns(["unique_id", "cluster_key"])
    return local_person_tables(hub, prepared, clusters, edges, previous, run_id, members)


def _last_run_stats(hub: Hub) -> dict[str, Any] | None:
    from sqlalchemy import select

    with hub.catalog.session() as session:
        row = session.scalars(select(LinkRun).where(LinkRun.status == "done")
                              .order_by(LinkRun.id.desc()).limit(1)).first()
        return dict(row.stats) if row is not None and row.stats else None


def _score_incremental(hub: Hub, api: Any, every: Any, profiles: Profiles,
                       model: link_model.TrainedModel) -> tuple[Scored, pa.Table]:
    """Score only profiles without a record linked before; keep the stored scores of the rest.

    Returns all pairs (kept + fresh) and the fresh pairs alone."""
    records = profiles.records
    is_new = pc.invert(pc.is_in(records["unique_id"], profiles.known))
    present = records["unique_id"]
    kept = outputs.read(hub, "pairs")
    kept = kept.filter(pc.and_(pc.is_in(kept["unique_id_l"], present),
                               pc.is_in(kept["unique_id_r"], present)))
    if not pc.any(is_new).as_py():
        return Scored(kept, 0), kept.schema.empty_table()
    existing = register(api, records.filter(pc.invert(is_new)), "existing")
    new = register(api, records.filter(is_new), "new")
    fresh = score_new(api, every, existing, new, model)
    pairs = fresh.pairs.select(kept.schema.names).cast(kept.schema)
    return Scored(pa.concat_tables([kept, pairs]), fresh.candidate_pairs), pairs


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
