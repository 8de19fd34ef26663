"""One linkage run, full or incremental: prepare → (train) → score → cluster → ids → households.

Full: every profile pair the blocking rules admit is scored, then clustered. Incremental: only
pairs touching new profiles are scored (one Splink predict_between, existing and new rows
against the new, with the stored model), and the new edges update the previous clusters
locally — an old person only changes when a new record joins it, and only those persons go
through id assignment. Both give the same
persons on the same data and model (the previous clusters are the components of the kept edges,
and components of kept + new edges are the old components merged through the new ones). When
that shortcut cannot be trusted (review decisions changed, records vanished, a rejection inside
a merged group), the incremental run re-clusters every kept and new edge instead.

Each run keeps its prepared input sealed in the identified zone (`stored`, ADR 0076), so an
incremental run prepares only what was delivered since, and scores with the model's frozen term
frequencies, as a full re-link without retraining does: both routes give the same links.

Training runs on a random sample of profiles at most TRAIN_SAMPLE large (ADR 0047): u, m and
the prior are rates, which a sample estimates as well as the whole at a fraction of the cost.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from odahub.catalog.base import utcnow
from odahub.catalog.tables.link import LinkRun
from odahub.governance.purge import WORKING
from odahub.hub import Hub
from odahub.lake import turns
from odahub.link import model as link_model
from odahub.link import outputs, review
from odahub.link import stored as stored_input
from odahub.link.backend import splink_api
from odahub.link.cluster import cluster
from odahub.link.comparisons import affordable
from odahub.link.delta import changed_records, identified_versions, incremental_input
from odahub.link.incremental import (
    local_persons,
    local_update_allowed,
    near_stored,
    save_delta,
    score_incremental,
)
from odahub.link.local_households import changed_keyed, local_household_tables
from odahub.link.persons import (
    PersonTables,
    household_tables,
    names_of,
    person_tables,
    with_names,
)
from odahub.link.prepare import LinkInput, identified_datasets, prepare, read_union
from odahub.link.profiles import Profiles, collapse, extend
from odahub.link.scoring import Scored, canonical, register, score_all
from odahub.link.stored import StoredInput
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


@dataclass
class Inputs:
    prepared: LinkInput
    changed: int                # records linked before whose link roles changed
    kept: StoredInput | None    # the last run's stored input (its frequencies, if current)
    fresh: int                  # records prepared by this run
    dropped: int = -1           # stored records no longer delivered (-1: not known)


@turns.stage_run  # no purge is undone by this run's writes (ADR 0090)
def link(hub: Hub, options: LinkOptions | None = None) -> dict[str, Any]:
    """Link every identified dataset; returns headline numbers (also kept on the run row)."""
    options = options or LinkOptions()
    options.phase("prepare")
    # what a killed run left (never a live run's: lake/owner.py, ADR 0088)
    hub.lake.sweep(zones=("linked",))
    hub.lake.sweep(only={("identified", WORKING)})
    # the last run's linked tables (and stored input) are read in the background meanwhile
    wanted = ["links", "id_history", "households"] + (
        ["pairs"] if options.mode == "incremental" else [])
    stored = options.mode == "incremental" and not options.retrain and options.datasets is None
    # the links' record names are built on the reading thread (every later step uses them)
    with outputs.ahead(hub, wanted, {"links": with_names}), \
            stored_input.ahead(hub) if stored else nullcontext():
        return _link(hub, options)


def _link(hub: Hub, options: LinkOptions) -> dict[str, Any]:
    identified = identified_versions(hub, options.datasets if options.datasets is not None
                                     else identified_datasets(hub))
    last_id, last = _last_run(hub)
    links, non_links = review.decisions(hub.catalog)
    stored = link_model.latest(hub.catalog)
    if stored is not None and not link_model.is_current(stored):
        stored = None  # trained on other comparisons (an older version): train afresh
    wanted = (options.mode == "incremental" and stored is not None and not options.retrain
              and outputs.rows(hub, "links") > 0)
    inputs = _inputs(hub, options, stored, wanted, identified, last_id, last)
    # taken after the stored input, which is read beside it and needed first
    previous = with_names(outputs.read(hub, "links", keep=("unique_id",)))
    prepared, changed, kept = inputs.prepared, inputs.changed, inputs.kept
    incremental = wanted and changed == 0 and stored is not None and stored.roles == prepared.roles
    fingerprint = _decisions_fingerprint(links, non_links)
    apart = {record for pair in links + non_links for record in pair}
    profiles = None
    if incremental and stored is not None and inputs.dropped >= 0 and kept is not None \
            and (last or {}).get("decisions") == fingerprint:
        # the stored rows near the new records are found beside profiling (Arrow frees the
        # GIL): near all new records is near their profiles, as a profile's records are alike
        nearby = near_stored(prepared.records, kept.profile_of, stored)
        profiles = extend(hub.engine, prepared.records, kept.profile_of, apart,
                          kept.whole and inputs.dropped == 0)
        if profiles is not None:
            profiles.near = nearby
    if profiles is None:
        profiles = collapse(hub.engine, prepared.records, names_of(previous), apart)
    run_id = _start_run(hub, "incremental" if incremental else "full")
    api = splink_api(hub.engine)
    every = cache(lambda: register(api, profiles.records, "records"))  # incremental: if needed
    if stored is None or options.retrain or stored.roles != prepared.roles:
        options.phase("train")
        extra = _affordable(hub, profiles, prepared.roles)
        sample = _training_sample(profiles.records)
        training = every() if sample is None else register(api, sample, "training")
        stored = link_model.train(api, training, prepared.roles, extra)
    frozen = kept.tf if kept is not None and stored.id == kept.model_id else None
    keeps_pairs, pair_files = False, []
    if incremental:
        options.phase("score new records")
        keeps_pairs = inputs.dropped == 0 and profiles.fresh is not None
        pair_files = outputs.files(hub, "pairs")
        scored, fresh = score_incremental(hub, api, every, profiles, stored, frozen, keeps_pairs)
    else:
        options.phase("score")
        scored = score_all(api, every(), stored, frozen)
        scored, fresh = Scored(canonical(scored.pairs), scored.candidate_pairs, scored.tf), None
    if stored.id is None:
        stored = _choose_and_save(hub, stored, scored.pairs)
    with outputs.writing(hub, run_id) as writes, ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="odahub-link-delta") as pool:
        # each linked table is encoded as soon as it is known, beside the work that follows
        if fresh is not None and keeps_pairs:
            # every stored pair is kept as it was: its files join the new version unencoded
            writes.add_files("pairs", pair_files, scored.pairs.num_rows - fresh.num_rows)
            writes.add("pairs", _review_floor(fresh, stored))
        else:
            writes.add("pairs", _review_floor(scored.pairs, stored))
        options.phase("cluster")
        edges = scored.pairs.filter(pc.greater_equal(scored.pairs["match_probability"],
                                                     stored.threshold))
        persons: PersonTables | None = None
        if fresh is not None and local_update_allowed(last, prepared, previous, fingerprint,
                                                       inputs.dropped == 0):
            persons = local_persons(hub, prepared, profiles, edges, fresh, stored, previous,
                                     non_links, run_id, _known(hub, last, "persons"))
        if persons is None:
            clusters = profiles.expand(
                cluster(profiles.records["unique_id"], edges, links, non_links))
            persons = person_tables(hub, prepared, clusters, edges, previous, run_id,
                                    profiles.members)
        writes.add("id_history", persons.history)
        options.phase("households")
        delta = None
        if persons.changed is not None and kept is not None:
            keyed = changed_keyed(hub, prepared, persons)
            if inputs.dropped == 0 and last_id is not None:
                # the stored input's delta is written beside the households (a failed write
                # of the linked tables leaves a delta of an unfinished run, which the next
                # run ignores: ADR 0076)
                delta = pool.submit(save_delta, hub, prepared, profiles, persons,
                                    keyed.select(["unique_id", "address_key"]), scored.tf,
                                    run_id, last_id, stored)
            households = local_household_tables(hub, prepared, persons, kept.keys, keyed,
                                                writes.add, _known(hub, last, "households"))
        else:
            households = household_tables(hub, prepared, persons.links)
        options.phase("write")
        writes.add("links", households.links)
        writes.add("households", households.households)
        saved = delta is not None and delta.result()
    versions = writes.versions
    assert stored.id is not None
    if not saved:
        stored_input.save(hub, prepared.records, profiles.members, households.keys, scored.tf,
                          run_id, stored.id, prepared.roles)
    queued = review.enqueue(hub.catalog, _band(fresh if fresh is not None else scored.pairs,
                                               stored), run_id)
    stats = {
        "mode": "incremental" if incremental else "full", "records": prepared.size,
        "profiles": profiles.size,
        "roles": len(prepared.roles), "candidate_pairs": scored.candidate_pairs,
        "pairs_above_threshold": edges.num_rows, "threshold": round(stored.threshold, 4),
        "persons": persons.count, "households": households.count,
        "review_queued": queued, "model_id": stored.id, "links_version": versions["links"],
        "history_version": versions["id_history"], "next_person": persons.next_number,
        "households_version": versions["households"],
        "next_household": households.next_number,
        "decisions": fingerprint, "identified_versions": identified, "changed_records": changed,
        "prepared_records": inputs.fresh, "local_update": persons.changed is not None,
    }
    _finish_run(hub, run_id, stored.id, stats)
    return stats


def _inputs(hub: Hub, options: LinkOptions, stored: link_model.TrainedModel | None,
            wanted: bool, identified: dict[str, int], last_id: int | None,
            last: dict[str, Any] | None) -> Inputs:
    """The prepared records, how many linked records changed, and the last run's stored input.

    An incremental run prepares only what was delivered since the stored input (ADR 0076);
    otherwise (or if that cannot be trusted) every identified record is prepared."""
    linked: dict[str, int] = (last or {}).get("identified_versions") or {}
    kept = None
    if stored is not None and stored.id is not None and not options.retrain \
            and options.datasets is None:
        kept = stored_input.load(hub, last_id, stored.id)
    if wanted and kept is not None:
        delta = incremental_input(hub, kept, identified, linked)
        if delta.prepared is not None:
            return Inputs(delta.prepared, 0, delta.kept, delta.fresh, delta.dropped)
        if delta.changed:
            prepared = prepare(hub, read_union(hub, options.datasets))
            return Inputs(prepared, delta.changed, kept, prepared.size)
    union = read_union(hub, options.datasets)
    prepared = prepare(hub, union)
    changed = changed_records(hub, union, identified, linked) if wanted else 0
    return Inputs(prepared, changed, kept, prepared.size)


# What a run records of the tables it wrote, so the next need not count them again: the
# count, the first free id number, and which tables (versions) they were counted over.
_RECORDED = {"persons": ("next_person", {"links": "links_version",
                                         "id_history": "history_version"}),
             "households": ("next_household", {"households": "households_version"})}


def _known(hub: Hub, last: dict[str, Any] | None, kind: str) -> tuple[int, int] | None:
    """(how many, first free number) of `kind` as the last run recorded them, if the tables
    it counted are still the latest (an erasure rewrites them: then they are counted afresh)."""
    number, tables = _RECORDED[kind]
    if not last or last.get(number) is None or last.get(kind) is None:
        return None
    for name, key in tables.items():
        version = hub.lake.latest("linked", name)
        if version is None or version.version != last.get(key):
            return None
    return int(last[kind]), int(last[number])


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


def _last_run(hub: Hub) -> tuple[int | None, dict[str, Any] | None]:
    """The last finished run's id and stats."""
    from sqlalchemy import select

    with hub.catalog.session() as session:
        row = session.scalars(select(LinkRun).where(LinkRun.status == "done")
                              .order_by(LinkRun.id.desc()).limit(1)).first()
        if row is None:
            return None, None
        return row.id, dict(row.stats) if row.stats else None


def _affordable(hub: Hub, profiles: Profiles, roles: list[str]) -> list[list[str]]:
    hub.engine.register("link_prepared", profiles.records.select(
        [c for c in profiles.records.schema.names if c != "first_name_nicks"]))
    try:
        return affordable(hub.engine, "link_prepared", roles, profiles.size)
    finally:
        hub.engine.unregister("link_prepared")


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
