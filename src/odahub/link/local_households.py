"""Households after an incremental run, recomputed only where persons changed (ADR 0076).

Households are the connected components of stays (a person at an address key), joined by the
same key over overlapping periods or by the same source household reference. A person the run
did not touch keeps their records, so their address keys (the stored ones), their stays and
every edge between such stays. So only the *region* changes: every stay at an address key or
reference that a changed person has, had or now has, closed under keys and references (a
component touching the region lies wholly inside it). Components, memberships and record
households are recomputed there, ids are kept by overlap with the region's previous households,
and everything outside is carried over: the same households a full recomputation finds.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from odahub.hub import Hub
from odahub.link import households as hh
from odahub.link import outputs
from odahub.link.persons import (
    HouseholdTables,
    PersonTables,
    count_ids,
    first_free,
    household_ids,
    id_numbers,
    names_of,
    stay_clusters,
)
from odahub.link.prepare import LinkInput

KEY_COLUMNS = ("uprn", "postcode", "address", "event_date", "household_ref")
MAX_ROUNDS = 50  # references chain keys; real data closes in a round or two


def changed_keyed(hub: Hub, prepared: LinkInput, persons: PersonTables) -> pa.Table:
    """Keyed rows (as `households.keyed_records` gives) of the records whose person changed:
    all records of each such person, so each person's usual address is theirs."""
    engine = hub.engine
    records = prepared.records
    rows, fresh_links = persons.changed_rows, persons.fresh
    assert rows is not None and fresh_links is not None
    columns = [c for c in KEY_COLUMNS if c in records.schema.names]
    mine = records.filter(rows).select(["unique_id", "dataset", *columns])
    engine.register("hh_records", mine.join(  # both sides small: Arrow hashes the right one
        fresh_links.select(["unique_id", "person_id"]), "unique_id"))
    try:
        return hh.keyed_records(engine, "hh_records", ["dataset", *columns])
    finally:
        engine.unregister("hh_records")


def local_household_tables(hub: Hub, prepared: LinkInput, persons: PersonTables,
                           stored_keys: pa.Table, fresh: pa.Table,
                           early: Callable[[str, pa.Table, pa.Array], None],
                           known: tuple[int, int] | None = None) -> HouseholdTables:
    """persons: a local person update (the previous links, with household_id, which of them
    still hold, and the rows of the records whose person changed: all records of each such
    person); stored_keys: unique_id → address_key of every record at the last run; fresh: the
    changed records' keyed rows (`changed_keyed`).

    `early(name, table, rows)` is given the link and household rows that stay as they were
    (most of them) as soon as they are known, so they can be written while the region is
    recomputed; the tables returned hold the other rows. `known`: how many households the
    previous households table holds and the first free household number, as the run that
    wrote it recorded (else they are counted here)."""
    records = prepared.records
    rows, previous = persons.changed_rows, persons.previous
    assert rows is not None and previous is not None
    columns = [c for c in KEY_COLUMNS if c in records.schema.names]
    # the stored rows are the first rows of `records`, in the same order (StoredInput)
    stored = records.slice(0, stored_keys.num_rows)
    is_changed = rows.slice(0, stored_keys.num_rows)
    # filters, not takes: a take from a chunked table first copies it whole
    was = stored_keys.filter(is_changed)  # the changed records linked before
    before = previous.select(["unique_id", "person_id", "household_id"]).filter(
        pc.invert(persons.holds))
    settled = _settled(hub, fresh, before, was)
    # a settled person's stays are as they were, so only the others' stays can move households
    unsettled = pc.invert(pc.is_in(was["unique_id"], settled["unique_id"]))
    outside = np.ones(stored_keys.num_rows, dtype=bool)
    outside[np.flatnonzero(np.asarray(is_changed, dtype=bool))[np.asarray(unsettled,
                                                                         dtype=bool)]] = False
    moved = fresh.filter(pc.invert(pc.is_in(fresh["unique_id"], settled["unique_id"])))
    inside = _region(records, stored_keys, outside, moved, was["address_key"].filter(unsettled),
                     columns)
    # the region's records are unchanged or settled, so their previous person holds
    keyed = pa.concat_tables([moved, _keyed(stored, stored_keys, inside, previous, columns)
                              .cast(moved.schema)])
    datasets = sorted(pc.unique(records["dataset"]).to_pylist())
    tables = _recompute(hub, keyed, persons, datasets, settled, early, known)

    def keys() -> pa.Table:
        kept = stored_keys.filter(pc.invert(is_changed)).select(["unique_id", "address_key"])
        return pa.concat_tables([kept, fresh.select(["unique_id", "address_key"]).cast(
            kept.schema)])
    tables.keys_of = keys
    return tables


def _settled(hub: Hub, fresh: pa.Table, before: pa.Table, stored: pa.Table) -> pa.Table:
    """(unique_id, stay_id, household_id) of the changed records of *settled* persons: persons
    who kept their id and every record its address key, whose stays are the same (every new
    record falls in a stay they had, within its period). Their households cannot have changed,
    so they stay out of the region; a record takes its stay's previous household (unless the
    region recomputes that stay). `before`: the changed records' previous person and
    household; `stored`: their stored address keys."""
    inputs = {"hh_fresh": fresh.select(["unique_id", "stay_id", "person_id", "address_key",
                                        "day", "ref"]),
              "hh_before": before, "hh_stored": stored.select(["unique_id", "address_key"])}
    for name, table in inputs.items():
        hub.engine.register(name, table)
    try:
        return hub.engine.sql(_SETTLED_SQL)
    finally:
        for name in inputs:
            hub.engine.unregister(name)


_SETTLED_SQL = """
WITH rows AS (
    SELECT f.unique_id, f.stay_id, f.person_id, f.address_key, f.day, f.ref,
           b.unique_id IS NOT NULL AS old, b.person_id AS old_person,
           s.address_key AS old_key, b.household_id AS old_household
    FROM hh_fresh f LEFT JOIN hh_before b ON b.unique_id = f.unique_id
    LEFT JOIN hh_stored s ON s.unique_id = f.unique_id
), person AS (
    SELECT person_id FROM rows GROUP BY person_id
    HAVING bool_or(old) AND bool_and(NOT old OR (old_person IS NOT DISTINCT FROM person_id
                                                AND old_key IS NOT DISTINCT FROM address_key))
), after AS (
    SELECT person_id, address_key, min(day) AS lo, max(day) AS hi, min(ref) AS ref
    FROM rows GROUP BY person_id, address_key
), earlier AS (
    SELECT person_id, address_key, min(day) AS lo, max(day) AS hi, min(ref) AS ref
    FROM rows WHERE old GROUP BY person_id, address_key
), same AS (
    SELECT a.person_id FROM after a
    LEFT JOIN earlier e ON e.person_id = a.person_id AND e.address_key = a.address_key
    GROUP BY a.person_id
    HAVING bool_and(e.person_id IS NOT NULL AND a.lo IS NOT DISTINCT FROM e.lo
                    AND a.hi IS NOT DISTINCT FROM e.hi AND a.ref IS NOT DISTINCT FROM e.ref)
)
SELECT r.unique_id, r.stay_id,
       max(r.old_household) OVER (PARTITION BY r.stay_id) AS household_id
FROM rows r JOIN person p ON p.person_id = r.person_id JOIN same s ON s.person_id = r.person_id
"""


def _refs(records: pa.Table, ids: pa.Array | pa.ChunkedArray, columns: list[str]) -> pa.Array:
    if "household_ref" not in columns:
        return pa.array([], pa.string())
    rows = records.filter(pc.is_in(records["unique_id"], ids))
    return pc.unique(pc.drop_null(pc.binary_join_element_wise(
        rows["dataset"], rows["household_ref"], "|")).combine_chunks())


def _region(records: pa.Table, stored_keys: pa.Table, outside: np.ndarray, fresh: pa.Table,
            touched: pa.ChunkedArray, columns: list[str]) -> np.ndarray:
    """Which stored rows (of those `outside` the changed ones) hold unchanged records whose
    stays can meet a changed one. The stored rows are the first rows of `records`."""
    keys = pc.unique(pa.concat_arrays([touched.combine_chunks().cast(pa.string()),
                                       fresh["address_key"].combine_chunks().cast(pa.string())]))
    refs = pc.unique(pa.concat_arrays([fresh["ref"].combine_chunks().cast(pa.string()),
                                       _refs(records, fresh["unique_id"], columns)]))
    stored = records.slice(0, stored_keys.num_rows)
    allowed = pa.array(outside)
    address = stored_keys["address_key"]
    ref_of = None
    if "household_ref" in columns:
        ref_of = pc.binary_join_element_wise(stored["dataset"], stored["household_ref"], "|")
    inside = pa.array(np.zeros(len(outside), dtype=bool))
    for _ in range(MAX_ROUNDS):
        mask = pc.fill_null(pc.is_in(address, keys), False)
        if ref_of is not None:
            mask = pc.or_(mask, pc.fill_null(pc.is_in(ref_of, refs), False))
        mask = pc.and_(mask, allowed)
        if pc.sum(mask).as_py() == pc.sum(inside).as_py():
            break
        inside = mask
        keys = pc.unique(pa.concat_arrays([keys, address.filter(mask).combine_chunks()]))
        if ref_of is not None:
            refs = pc.unique(pa.concat_arrays([refs, pc.drop_null(
                ref_of.filter(mask)).combine_chunks()]))
    return np.asarray(inside, dtype=bool)


def _keyed(stored: pa.Table, stored_keys: pa.Table, region: np.ndarray, links: pa.Table,
           columns: list[str]) -> pa.Table:
    """Keyed rows (as `households.keyed_records` gives) of the region's unchanged records, from
    their stored address keys: their rows taken by position, their previous person by a join
    that hashes only the region's ids."""
    mask = pa.array(region)
    rows = stored.filter(mask)
    table = pa.table({"unique_id": rows["unique_id"],
                      "address_key": stored_keys["address_key"].filter(mask).cast(pa.string()),
                      "day": rows["event_date"] if "event_date" in columns
                      else pa.nulls(rows.num_rows, pa.date32()),
                      "ref": pc.binary_join_element_wise(rows["dataset"], rows["household_ref"],
                                                         "|")
                      if "household_ref" in columns else pa.nulls(rows.num_rows, pa.string())})
    people = links.select(["unique_id", "person_id"]).join(table, "unique_id", join_type="inner")
    return pa.table({"unique_id": people["unique_id"],
                     "stay_id": pc.binary_join_element_wise(people["person_id"],
                                                            people["address_key"], "@"),
                     "person_id": people["person_id"], "address_key": people["address_key"],
                     "day": people["day"], "ref": people["ref"]})


def _recompute(hub: Hub, keyed: pa.Table, persons: PersonTables, datasets: list[str],
               settled: pa.Table, early: Callable[[str, pa.Table, pa.Array], None],
               known: tuple[int, int] | None) -> HouseholdTables:
    engine = hub.engine
    previous, fresh_links = persons.previous, persons.fresh
    assert previous is not None and fresh_links is not None
    in_keyed = pc.is_in(names_of(previous), keyed["unique_id"])
    # the unchanged records outside the region keep their link row, and households outside
    # it stay: both known now
    early("links", previous, pc.and_(persons.holds, pc.invert(in_keyed)))
    prior_households = outputs.read(hub, "households")
    region_ids = pc.unique(previous["household_id"].filter(in_keyed).combine_chunks())
    in_region = pc.is_in(prior_households["household_id"], region_ids)
    kept_households = pc.invert(in_region)
    early("households", prior_households, kept_households)
    # every keyed record's link row now: the changed ones, and the unchanged ones as they were
    region_links = pa.concat_tables([
        previous.select(fresh_links.schema.names).filter(pc.and_(in_keyed, persons.holds)),
        fresh_links.filter(pc.is_in(fresh_links["unique_id"], keyed["unique_id"]))
        .cast(previous.select(fresh_links.schema.names).schema)])
    region_households = prior_households.filter(in_region)
    try:
        stays, clusters = stay_clusters(hub, keyed)
        first = known[1] if known is not None else first_free(
            [prior_households["household_id"]])
        assigned = household_ids(hub, stays, clusters, region_households, first)
        engine.register("hh_clusters", clusters)
        engine.register("hh_ids", assigned)
        memberships = engine.sql(hh.memberships_sql("hh_stays", "hh_clusters", "hh_ids"))
        engine.register("hh_links", region_links.drop_columns(["household_id"]))
        linked = engine.sql(_REGION_SQL)
    finally:
        for name in ("hh_keyed", "hh_stays", "hh_clusters", "hh_ids", "hh_links"):
            engine.unregister(name)
    tokens = hh.uprn_tokens(hub.lake, datasets)
    households = hh.with_uprn_tokens(memberships, tokens).cast(prior_households.schema)
    # each keyed record got one row (the usual case), or some unchanged ones need theirs
    missing = None if linked.num_rows == region_links.num_rows else pc.and_(
        pc.and_(persons.holds, in_keyed), pc.invert(pc.is_in(names_of(previous),
                                                             linked["unique_id"])))
    # the households outside the region are kept whole and the region's ids are all new or
    # taken from the region's old ones, so counts and numbers follow from the region's
    dropped = region_households["household_id"]
    if known is not None:
        count = known[0] - count_ids(dropped) + count_ids(households["household_id"])
    else:
        count = count_ids(pa.chunked_array(prior_households["household_id"].filter(
            kept_households).chunks + households["household_id"].chunks))
    dropped_numbers = id_numbers(dropped)
    if dropped_numbers is not None and not (dropped_numbers == first - 1).any():
        # the largest number before is still held, so nothing below it needs counting
        following = max(first, first_free([households["household_id"]]))
    else:
        following = first_free([prior_households["household_id"].filter(kept_households),
                                 households["household_id"]])
    return HouseholdTables(links=_record_households(persons, linked, missing,
                                                    _settled_households(settled, keyed, linked)),
                           households=households, count=count,
                           keys_of=lambda: keyed.select(["unique_id", "address_key"]),
                           next_number=following)


def _settled_households(settled: pa.Table, keyed: pa.Table, linked: pa.Table) -> pa.Table:
    """(unique_id, household_id) of settled persons' records: their stay's household, as the
    region recomputed it if the stay is in the region, else as it was."""
    stays = keyed.select(["unique_id", "stay_id"]).filter(
        pc.is_in(keyed["stay_id"], settled["stay_id"]))
    now = stays.join(linked.select(["unique_id", "household_id"]), "unique_id").group_by(
        "stay_id").aggregate([("household_id", "max")])
    joined = settled.join(now, "stay_id", join_type="left outer")
    return pa.table({"unique_id": joined["unique_id"], "household_id": pc.coalesce(
        joined["household_id_max"], joined["household_id"])})


def _record_households(persons: PersonTables, region: pa.Table, missing: pa.Array | None,
                       settled: pa.Table) -> pa.Table:
    """The link rows not given `early`: the region's recomputed; a changed record outside it
    as the person update left it (a settled person's record takes `settled`'s household; any
    other has none); and the unchanged records the region gave no row (`missing`: none,
    usually) as they were. Unsorted: sorting a million ids costs more than the rest of the
    step, and nothing reads the table by position."""
    previous, fresh = persons.previous, persons.fresh
    assert previous is not None and fresh is not None
    others = fresh.filter(pc.invert(pc.is_in(fresh["unique_id"], region["unique_id"])))
    others = others.drop_columns(["household_id"]).join(settled, "unique_id",
                                                        join_type="left outer")
    parts = [others, region] + ([previous.filter(missing)] if missing is not None else [])
    schema = previous.select(outputs.LINKS.names).schema
    return pa.concat_tables([part.select(outputs.LINKS.names).cast(schema) for part in parts])


_REGION_SQL = """
SELECT l.unique_id, l.dataset, l.record_id, l.person_id, i.id AS household_id,
       l.match_probability
FROM hh_links l JOIN hh_keyed k ON k.unique_id = l.unique_id
JOIN hh_clusters c ON c.stay_id = k.stay_id
JOIN hh_ids i ON i.cluster_key = c.cluster_key
"""
