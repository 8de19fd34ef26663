"""From clusters to the linked tables: stable person ids, link confidence, households."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from odahub.catalog.base import utcnow
from odahub.hub import Hub
from odahub.link import households as hh
from odahub.link import outputs
from odahub.link.cluster import components
from odahub.link.ids import assign_ids
from odahub.link.prepare import LinkInput


@dataclass
class PersonTables:
    rows: pa.Table | None  # unique_id, dataset, record_id, person_id, match_probability
    history: pa.Table
    count: int
    changed: pa.Array | None = None  # records given a person again (None: every record)
    changed_rows: pa.ChunkedArray | None = None  # the same, as a mask over the prepared rows
    # a local update (ADR 0085) instead of `rows`: the previous links (with unique_id), which
    # of them still hold, and the rows of the changed records; joined only if a caller needs
    # every row, as copying a million rows twice costs more than the update itself
    previous: pa.Table | None = None
    holds: pa.Array | None = None
    fresh: pa.Table | None = None
    # the first free person number for a run reading these links and this history
    next_number: int | None = None

    @property
    def links(self) -> pa.Table:
        if self.rows is None:
            assert self.previous is not None and self.fresh is not None
            kept = self.previous.filter(self.holds).select(self.fresh.schema.names)
            self.rows = pa.concat_tables([kept, self.fresh.cast(kept.schema)])
        return self.rows


@dataclass
class HouseholdTables:
    links: pa.Table
    households: pa.Table
    count: int
    keys_of: Callable[[], pa.Table]  # built only when the whole stored input is rewritten
    # the first free household number for a run reading these households
    next_number: int | None = None

    @property
    def keys(self) -> pa.Table:
        """unique_id → address_key of each record (kept for the next run)."""
        return self.keys_of()


BITMAP_LIMIT = 50_000_000  # counting ids by number up to here costs at most 50 MB


def first_free(ids: list[pa.Array | pa.ChunkedArray | np.ndarray]) -> int:
    """One past the largest number ending any id (vectorised: a million ids in milliseconds);
    a column may be given as its numbers (`id_numbers`) already."""
    best = 0
    for column in ids:
        numbers = column if isinstance(column, np.ndarray) else id_numbers(column)
        if numbers is not None:
            top = int(numbers.max()) if len(numbers) else None
        else:
            assert not isinstance(column, np.ndarray)
            digits = pc.extract_regex(column.cast(pa.string()), r"(?P<n>\d+)$")
            top = pc.max(pc.cast(pc.struct_field(digits, [0]), pa.int64())).as_py()
        best = max(best, int(top) if top is not None else 0)
    return best + 1


def id_numbers(column: pa.Array | pa.ChunkedArray) -> np.ndarray | None:
    """The numbers of non-null ids when every id is one prefix then digits of one width (as
    `assign_ids` writes them); None otherwise. Read straight from the string buffers as a
    (rows × width) byte matrix: no string is decoded or hashed."""
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    prefix: bytes | None = None
    parts = []
    for chunk in chunks:
        chunk = chunk.cast(pa.string())
        chunk = pc.drop_null(chunk) if chunk.null_count else chunk
        if len(chunk) == 0:
            continue
        offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int32)[
            chunk.offset:chunk.offset + len(chunk) + 1]
        width = int(offsets[1] - offsets[0])
        if width == 0 or np.any(np.diff(offsets) != width):
            return None
        data = np.frombuffer(chunk.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[-1]]
        rows = data.reshape(len(chunk), width)
        first = bytes(rows[0])
        start = len(first.rstrip(b"0123456789"))
        if (prefix is not None and (start != len(prefix) or first[:start] != prefix)) \
                or start == width or start + 18 < width:  # no number, or too long for int64
            return None
        prefix = first[:start]
        digits = rows[:, start:]
        if not ((digits - ord("0")) < 10).all() or not (rows[:, :start] == rows[0, :start]).all():
            return None
        numbers = np.zeros(len(chunk), dtype=np.int64)
        for column in range(digits.shape[1]):  # Horner's rule, one digit position at a time
            numbers *= 10
            numbers += digits[:, column]
        parts.append(numbers - ord("0") * int("1" * digits.shape[1]))
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def tally(column: pa.Array | pa.ChunkedArray,
          *also: pa.Array | pa.ChunkedArray) -> tuple[int, int]:
    """(how many distinct ids `column` holds, the first free number over it and `also`), the
    column's numbers read once for both."""
    numbers = id_numbers(column)
    return count_ids(column, numbers), first_free([numbers if numbers is not None else column,
                                                   *also])


def count_ids(column: pa.Array | pa.ChunkedArray, numbers: np.ndarray | None = None) -> int:
    """How many distinct ids (non-null): by their numbers when ids are of one shape (a
    bitmap, not a hash of a million strings), else by hashing. `numbers`: the column's
    numbers, when the caller has them."""
    numbers = id_numbers(column) if numbers is None else numbers
    if numbers is None or (len(numbers) and int(numbers.max()) > BITMAP_LIMIT):
        valid = column.drop_null() if isinstance(column, pa.ChunkedArray) \
            else pc.drop_null(column)
        return int(pc.count_distinct(valid).as_py())
    if not len(numbers):
        return 0
    seen = np.zeros(int(numbers.max()) + 1, dtype=bool)
    seen[numbers] = True
    return int(seen.sum())


def person_tables(hub: Hub, prepared: LinkInput, clusters: pa.Table, edges: pa.Table,
                  previous: pa.Table, run_id: int, profile_of: pa.Table) -> PersonTables:
    """profile_of: record unique_id → profile_id (the record naming its profile in `edges`)."""
    engine = hub.engine
    history_before = outputs.read(hub, "id_history")
    prior = pa.table({"member": names_of(previous), "old_id": previous["person_id"]})
    members = pa.table({"member": clusters["unique_id"], "cluster_key": clusters["cluster_key"]})
    first = first_free([prior["old_id"], history_before["old_id"], history_before["new_id"]])
    assigned = assign_ids(engine, members, prior, "P-", first)
    links = _record_links(hub, assigned.members, edges,
                          prepared.records.select(["unique_id", "dataset", "record_id"]),
                          profile_of.select(["unique_id", "profile_id"]))
    history = _history(history_before, assigned.history, run_id)
    count, following = tally(assigned.members["id"], history["old_id"], history["new_id"])
    return PersonTables(rows=links, history=history, count=count, next_number=following)


def local_person_tables(hub: Hub, prepared: LinkInput, clusters: pa.Table, edges: pa.Table,
                        previous: pa.Table, run_id: int, profile_of: pa.Table,
                        touched: pa.ChunkedArray, known: tuple[int, int] | None = None
                        ) -> PersonTables:
    """person_tables for an incremental run: `clusters` holds only the records of persons that
    changed (new records, and every record of a person they joined); every other record keeps
    its previous person and link confidence. Ids are assigned over the changed part alone,
    which gives what a full assignment would: unchanged clusters keep their ids either way.
    `touched`: which previous rows are in `clusters`; `known`: how many persons `previous`
    holds and the first free person number, as the run that wrote them recorded (else they
    are counted here).

    Every previous id ends up in the new links or in the id history (a touched person is
    whole in `clusters`, so an id it loses is a move), so the next first free number follows
    from this one and the ids this run adds."""
    engine = hub.engine
    names = names_of(previous)
    prior = pa.table({"member": names, "old_id": previous["person_id"]}).filter(touched)
    history_before = outputs.read(hub, "id_history")
    held_count, first = known if known is not None else tally(
        previous["person_id"], history_before["old_id"], history_before["new_id"])
    members = pa.table({"member": clusters["unique_id"], "cluster_key": clusters["cluster_key"]})
    assigned = assign_ids(engine, members, prior, "P-", first)
    records = prepared.records.select(["unique_id", "dataset", "record_id"])
    rows = pc.is_in(records["unique_id"], clusters["unique_id"])
    # every record's profile, row for row with the records (checked: comparing is cheaper than
    # hashing a million ids again)
    aligned = profile_of.num_rows == records.num_rows and pc.all(
        pc.equal(profile_of["unique_id"], records["unique_id"])).as_py()
    changed = _record_links(
        hub, assigned.members, edges, records.filter(rows),
        profile_of.select(["unique_id", "profile_id"]).filter(
            rows if aligned else pc.is_in(profile_of["unique_id"], clusters["unique_id"])))
    # untouched records keep their household too, unless households are recomputed in full
    changed = changed.append_column("household_id", pa.nulls(changed.num_rows, pa.string()))
    previous = with_names(previous)
    fresh = changed.select(["unique_id", *outputs.LINKS.names]).cast(
        previous.select(["unique_id", *outputs.LINKS.names]).schema)
    holds = pc.invert(touched)
    # touched persons are whole, so the others keep their count
    count = held_count - count_ids(prior["old_id"]) + count_ids(fresh["person_id"])
    following = max(first, first_free([fresh["person_id"], assigned.history["old_id"],
                                        assigned.history["new_id"]]))
    return PersonTables(rows=None, history=_history(history_before, assigned.history, run_id),
                        count=count, changed=pc.unique(clusters["unique_id"]),
                        changed_rows=rows, previous=previous, holds=holds, fresh=fresh,
                        next_number=following)


def _record_links(hub: Hub, assigned: pa.Table, edges: pa.Table, records: pa.Table,
                  members: pa.Table) -> pa.Table:
    """Each record's person id and link confidence (`_LINKS_SQL` over these inputs)."""
    engine = hub.engine
    inputs = {"link_assigned": assigned, "link_edges": edges, "link_records": records,
              "link_members": members}
    for name, table in inputs.items():
        engine.register(name, table)
    try:
        return engine.sql(_LINKS_SQL)
    finally:
        for name in inputs:
            engine.unregister(name)


def _history(before: pa.Table, changes: pa.Table, run_id: int) -> pa.Table:
    now = utcnow()
    new_history = pa.table({
        "old_id": changes["old_id"], "new_id": changes["new_id"], "change": changes["change"],
        "run": pa.array([run_id] * changes.num_rows, pa.int64()),
        "at": pa.array([now] * changes.num_rows, pa.timestamp("us"))})
    return pa.concat_tables([before, new_history.cast(outputs.HISTORY)])


def names_of(table: pa.Table) -> pa.Array | pa.ChunkedArray:
    """dataset:record_id, the records' unique_id (its column, when `with_names` added it)."""
    if "unique_id" in table.schema.names:
        return table["unique_id"]
    return pc.binary_join_element_wise(table["dataset"], table["record_id"], ":")


def with_names(table: pa.Table) -> pa.Table:
    """The table with its records' unique_id, computed once for every later use."""
    if "unique_id" in table.schema.names:
        return table
    return table.append_column("unique_id", names_of(table))


# A record's link confidence: its profile's strongest accepted edge inside its own cluster.
_LINKS_SQL = """
WITH inside AS (
    SELECT e.unique_id_l AS unique_id, e.match_probability FROM link_edges e
    JOIN link_assigned a ON a.member = e.unique_id_l
    JOIN link_assigned b ON b.member = e.unique_id_r AND b.id = a.id
    UNION ALL
    SELECT e.unique_id_r, e.match_probability FROM link_edges e
    JOIN link_assigned a ON a.member = e.unique_id_l
    JOIN link_assigned b ON b.member = e.unique_id_r AND b.id = a.id
), best AS (SELECT unique_id, max(match_probability) AS p FROM inside GROUP BY unique_id)
SELECT r.unique_id, r.dataset, r.record_id, a.id AS person_id, best.p AS match_probability
FROM link_records r JOIN link_assigned a ON a.member = r.unique_id
JOIN link_members m ON m.unique_id = r.unique_id
LEFT JOIN best ON best.unique_id = m.profile_id
ORDER BY r.unique_id
"""


def household_tables(hub: Hub, prepared: LinkInput, links: pa.Table) -> HouseholdTables:
    engine = hub.engine
    records = prepared.records
    columns = [c for c in ("uprn", "postcode", "address", "event_date", "household_ref")
               if c in records.schema.names]
    base = records.select(["unique_id", "dataset", *columns])
    person_of = links.select(["unique_id", "person_id"])
    engine.register("hh_records", base.join(person_of, "unique_id"))
    keyed = hh.keyed_records(engine, "hh_records", ["dataset", *columns])
    try:
        stays, clusters = stay_clusters(hub, keyed)
        previous = outputs.read(hub, "households")
        assigned = household_ids(hub, stays, clusters, previous,
                                 first_free([previous["household_id"]]))
        engine.register("hh_clusters", clusters)
        engine.register("hh_ids", assigned)
        memberships = engine.sql(hh.memberships_sql("hh_stays", "hh_clusters", "hh_ids"))
        engine.register("hh_links", links)
        linked = engine.sql(_RECORD_HOUSEHOLD_SQL)
    finally:
        for name in ("hh_records", "hh_keyed", "hh_stays", "hh_clusters", "hh_ids", "hh_links"):
            engine.unregister(name)
    tokens = hh.uprn_tokens(hub.lake, sorted(pc.unique(records["dataset"]).to_pylist()))
    households = hh.with_uprn_tokens(memberships, tokens).sort_by(
        [("household_id", "ascending"), ("person_id", "ascending")])
    count, following = tally(households["household_id"])
    return HouseholdTables(links=linked, households=households, count=count,
                           keys_of=lambda: keyed.select(["unique_id", "address_key"]),
                           next_number=following)


def stay_clusters(hub: Hub, keyed: pa.Table) -> tuple[pa.Table, pa.Table]:
    """Stays of the keyed records and the clusters of stays that form one household; leaves
    `hh_keyed` and `hh_stays` registered for the caller's later queries (it unregisters them)."""
    hub.engine.register("hh_keyed", keyed)
    stays = hh.household_stays(hub.engine, "hh_keyed")
    hub.engine.register("hh_stays", stays)
    edges = hh.stay_edges(hub.engine, "hh_stays")
    clusters = components(stays["stay_id"], edges["unique_id_l"], edges["unique_id_r"]
                          ).rename_columns(["stay_id", "cluster_key"])
    return stays, clusters


def household_ids(hub: Hub, stays: pa.Table, clusters: pa.Table, previous: pa.Table,
                  first: int) -> pa.Table:
    """Stable household ids by overlap of persons with the previous run's households
    (`previous`; fresh ids are numbered from `first`)."""
    joined = clusters.join(stays.select(["stay_id", "person_id"]), "stay_id")
    # a person counts once per household, however many stays there
    members = pa.table({"member": joined["person_id"], "cluster_key": joined["cluster_key"]}
                       ).group_by(["member", "cluster_key"]).aggregate([])
    prior = pa.table({"member": previous["person_id"], "old_id": previous["household_id"]})
    assigned = assign_ids(hub.engine, members, prior, "H-", first).members
    return assigned.group_by(["cluster_key", "id"]).aggregate([]).select(["cluster_key", "id"])


# Each record's household: the one its stay (person at that address) belongs to.
_RECORD_HOUSEHOLD_SQL = """
SELECT l.dataset, l.record_id, l.person_id, i.id AS household_id, l.match_probability
FROM hh_links l JOIN hh_keyed k ON k.unique_id = l.unique_id
JOIN hh_clusters c ON c.stay_id = k.stay_id
JOIN hh_ids i ON i.cluster_key = c.cluster_key
ORDER BY l.dataset, l.record_id
"""
