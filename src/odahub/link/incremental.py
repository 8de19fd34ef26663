"""The incremental route of a link run (ADR 0047, 0076): score only pairs touching new profiles,
merge the previous persons through the new edges, and store only the rows that changed.

Each step looks only at what the new records touch: stored profiles and their pair scores are
kept, a profile's node is the person it was in (or itself when new), and components over the
touched nodes give the new groups, which take every record of their persons. The result is what
a full re-link with the same model gives on the same data (tests/link/test_incremental.py).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from odahub.hub import Hub
from odahub.link import model as link_model
from odahub.link import outputs
from odahub.link import stored as stored_input
from odahub.link.ahead import in_background
from odahub.link.cluster import components
from odahub.link.comparisons import blocking_columns
from odahub.link.persons import PersonTables, local_person_tables, names_of
from odahub.link.prepare import LinkInput
from odahub.link.profiles import Profiles
from odahub.link.scoring import Scored, canonical, near, register, score_new


def save_delta(hub: Hub, prepared: LinkInput, profiles: Profiles, persons: PersonTables,
                keys: pa.Table, tf: dict[str, pa.Table], run_id: int, parent: int,
                model: link_model.TrainedModel) -> bool:
    """Store only the rows this incremental run changed (ADR 0076)."""
    assert model.id is not None and persons.changed is not None
    rows, changed = persons.changed_rows, persons.changed
    assert rows is not None

    def mine(table: pa.Table) -> pa.Table:
        return table.filter(pc.is_in(table["unique_id"], changed))

    # the changed records' rows by the mask over prepared rows; each record's profile row
    # lines up with its prepared row (checked on the rows taken: a hash of every id costs more)
    records = prepared.records.filter(rows)
    members = profiles.members
    aligned = members.num_rows == prepared.records.num_rows
    members = members.filter(rows) if aligned else mine(members)
    if aligned and not pc.all(pc.equal(members["unique_id"], records["unique_id"])).as_py():
        members = mine(profiles.members)
    return stored_input.save_delta(hub, records, members, mine(keys), tf, run_id, parent,
                                   model.id, prepared.roles)


def local_update_allowed(last: dict[str, Any] | None, prepared: Any, previous: pa.Table,
                          fingerprint: str, complete: bool) -> bool:
    """The previous persons are a valid base: same decisions, and every record still there
    (`complete`: known to be, the stored input having lost none)."""
    if last is None or last.get("decisions") != fingerprint:
        return False
    if complete:
        return True
    present = pc.is_in(names_of(previous), prepared.records["unique_id"])
    return bool(pc.all(present).as_py())



def local_persons(hub: Hub, prepared: Any, profiles: Profiles, edges: pa.Table,
                   fresh: pa.Table, model: link_model.TrainedModel, previous: pa.Table,
                   non_links: list[tuple[str, str]], run_id: int,
                   known: tuple[int, int] | None = None) -> PersonTables | None:
    """Merge the previous persons through the new edges; None if a rejection forbids it.

    Only what the new edges and records touch is looked at: a profile's node is the person
    it was in, or itself if it is new; components over the touched nodes give the new
    groups, which take every record of their persons."""
    new_edges = canonical(fresh)
    new_edges = new_edges.filter(pc.greater_equal(new_edges["match_probability"],
                                                  model.threshold))
    members = profiles.members          # record unique_id → profile_id
    names = names_of(previous)
    unlinked = profiles.new_members
    if unlinked is None:
        unlinked = members.filter(pc.invert(pc.is_in(members["unique_id"], names)))
    # every profile at an end of a new edge or holding a record not linked before
    relevant = pc.unique(pa.concat_arrays([
        new_edges["unique_id_l"].combine_chunks(), new_edges["unique_id_r"].combine_chunks(),
        unlinked["profile_id"].combine_chunks()]))
    mine = members.filter(pc.is_in(members["profile_id"], relevant))
    before = pa.table({"unique_id": names, "person_id": previous["person_id"]}).filter(
        pc.is_in(names, mine["unique_id"]))
    rep = mine.join(before, "unique_id", join_type="left outer")
    rep = rep.group_by("profile_id").aggregate([("person_id", "min")])
    node_of = pc.if_else(pc.is_valid(rep["person_id_min"]),
                         pc.binary_join_element_wise("\x1e", rep["person_id_min"], ""),
                         rep["profile_id"])
    nodes = pa.table({"profile_id": rep["profile_id"], "node": node_of})
    both = new_edges.join(nodes.rename_columns(["unique_id_l", "node_l"]), "unique_id_l",
                          join_type="inner").join(
        nodes.rename_columns(["unique_id_r", "node_r"]), "unique_id_r", join_type="inner")
    groups = components(nodes["node"], both["node_l"], both["node_r"])
    records, touched = _group_records(previous, unlinked, nodes, groups)
    if non_links:
        group_of = dict(zip(records["unique_id"].to_pylist(), records["group"].to_pylist(),
                            strict=True))
        if any(a in group_of and group_of.get(b) == group_of[a] for a, b in non_links):
            return None
    key = records.group_by("group").aggregate([("unique_id", "min")])
    clusters = records.join(key, "group", join_type="inner").select(["unique_id", "unique_id_min"])
    clusters = clusters.rename_columns(["unique_id", "cluster_key"])
    return local_person_tables(hub, prepared, clusters, edges, previous, run_id, members,
                               touched, known)



def _group_records(previous: pa.Table, unlinked: pa.Table, nodes: pa.Table,
                   groups: pa.Table) -> tuple[pa.Table, pa.ChunkedArray]:
    """(unique_id, group) of every record of a touched node: all records of its previous
    person, and the new records of its profiles; and which previous rows are among them."""
    groups = groups.rename_columns(["node", "group"])
    persons = groups.filter(pc.starts_with(groups["node"], "\x1e"))
    person_ids = pc.utf8_slice_codeunits(persons["node"], 1)
    touched = pc.is_in(previous["person_id"], person_ids)
    old = previous.filter(touched)
    old_group = persons["group"].take(pc.index_in(old["person_id"], value_set=person_ids))
    new = unlinked.join(nodes, "profile_id", join_type="inner").join(groups, "node",
                                                                     join_type="inner")
    return pa.concat_tables([
        pa.table({"unique_id": names_of(old), "group": old_group}),
        new.select(["unique_id", "group"]).cast(pa.schema([("unique_id", pa.string()),
                                                           ("group", old_group.type)]))]), touched



def near_stored(records: pa.Table, profile_of: pa.Table,
                model: link_model.TrainedModel) -> Future[pa.Table]:
    """The stored profile rows near any new record, found on another thread while the new
    records are profiled (Arrow's kernels free the GIL). Near every new record is near every
    new profile: a profile's records agree on all identity columns, blocking keys among them;
    a stored row near only a record that joined a stored profile pairs with no new profile, so
    predict_between gives the same pairs."""
    count = profile_of.num_rows  # the stored records are the first rows
    rules = blocking_columns(model.roles, model.extra_blocking)
    named = pc.equal(profile_of["unique_id"], profile_of["profile_id"])
    return in_background("odahub-link-near", near, records.slice(0, count),
                         records.slice(count), rules, named)


def score_incremental(hub: Hub, api: Any, every: Callable[[], Any], profiles: Profiles,
                       model: link_model.TrainedModel, frozen: dict[str, pa.Table] | None,
                       complete: bool) -> tuple[Scored, pa.Table]:
    """Score only profiles without a record linked before; keep the stored scores of the rest
    (`complete`: every stored profile is still there, so every stored pair is kept). `every`
    registers every profile with Splink, needed only when the frequencies are not frozen.

    Returns all pairs (kept + fresh, each ordered smaller id left) and the fresh pairs alone."""
    kept = outputs.read(hub, "pairs")
    if not complete:
        present = profiles.records["unique_id"]
        kept = kept.filter(pc.and_(pc.is_in(kept["unique_id_l"], present),
                                   pc.is_in(kept["unique_id_r"], present)))
    rules = blocking_columns(model.roles, model.extra_blocking)
    if profiles.stored is not None:  # `extend`: stored rows (some naming profiles), new profiles
        new = profiles.new_rows
        assert new is not None
        stored, named, finding = profiles.stored, profiles.stored_named, profiles.near

        def existing() -> pa.Table:
            return finding.result() if finding is not None else near(stored, new, rules, named)
    else:
        records = profiles.records
        is_new = pc.invert(pc.is_in(records["unique_id"], profiles.known))
        new = records.filter(is_new)
        found = near(records.filter(pc.invert(is_new)), new, rules)

        def existing() -> pa.Table:
            return found
    if new.num_rows == 0:
        return Scored(kept, 0, frozen or {}), kept.schema.empty_table()
    # with frozen frequencies Splink needs no other row than those it scores; the linker is
    # made ready while the rows near the new ones may still be being found
    fresh = score_new(api, lambda: register(api, pa.concat_tables([existing(), new]), "near"),
                      register(api, new, "new"), model, frozen, everything=every)
    # stored pairs are ordered already; fresh ones touch a new profile, so none is stored
    pairs = canonical(fresh.pairs).select(kept.schema.names).cast(kept.schema)
    return Scored(pa.concat_tables([kept, pairs]), fresh.candidate_pairs, fresh.tf), pairs
