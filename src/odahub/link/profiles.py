"""Identity profiles: records with exactly the same identifying values are scored once.

Partner data repeats identities heavily (a pupil appears in every attendance return, a patient
at every visit): a county's 117,000 records hold about 45,000 distinct identities. Splink scores
profiles, not records, which cuts candidate pairs, and makes term frequencies, u sampling and EM
count each identity once rather than once per visit.

Only *full* identities collapse (first name, last name and date of birth, or an NHS or NI
number): two records agreeing on all of those and on every other role would be linked anyway.
Sparse records (a name and a postcode) stay apart, as do records named in a review decision, so
that a rejection can always separate them.

A profile is named by one of its records (`unique_id`): the smallest record already linked in a
previous run if there is one, else the smallest — so stored pair scores stay valid as new
records join an existing profile.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from odahub.engine import Engine

# Identity columns selective enough to narrow the stored rows before the exact comparison.
PREFILTER = ("last_name", "date_of_birth")
NO_VALUE = "\x1e"  # a null in a prefilter join (a record separator: no value holds one)
# Not part of the identity: ids, record context and columns derived from other columns.
NOT_IDENTITY = {"unique_id", "dataset", "record_id", "event_date", "household_ref",
                "relationship", "first_name_nicks"}


@dataclass
class Profiles:
    """The profile rows Splink scores, and every record's profile."""

    rows: pa.Table | None  # one row per profile: the prepared row of the record naming it
    members: pa.Table   # unique_id (record) → profile_id (the unique_id naming its profile)
    known: pa.Array     # profile ids that hold a record linked before
    # set by `extend`: members of records not linked before, and per profile row whether
    # the profile holds no record linked before (so callers need not hash every id)
    new_members: pa.Table | None = None
    fresh: pa.Array | None = None
    # set by `extend` instead of `rows`: the stored records, which of them name a profile,
    # and the new profiles' rows; `records` joins them only when a caller needs every
    # profile (an incremental run scores a few near the new ones, ADR 0085)
    stored: pa.Table | None = None
    stored_named: pa.Array | None = None
    new_rows: pa.Table | None = None
    near: Future[pa.Table] | None = None  # the stored rows near new ones, being found

    @property
    def records(self) -> pa.Table:
        if self.rows is None:
            assert self.stored is not None and self.new_rows is not None
            self.rows = pa.concat_tables([self.stored.filter(self.stored_named), self.new_rows])
        return self.rows

    @property
    def size(self) -> int:
        if self.rows is None and self.fresh is not None:
            return len(self.fresh)
        return int(self.records.num_rows)

    def expand(self, clusters: pa.Table) -> pa.Table:
        """Profile clusters (unique_id, cluster_key) → record clusters."""
        joined = self.members.join(clusters.rename_columns(["profile_id", "cluster_key"]),
                                   "profile_id")
        return joined.select(["unique_id", "cluster_key"]).sort_by("unique_id")


def collapse(engine: Engine, records: pa.Table, known: pa.Array | None = None,
             keep_apart: set[str] | None = None) -> Profiles:
    """Group prepared records into profiles (`known`: records linked in an earlier run)."""
    identity = [c for c in records.schema.names if c not in NOT_IDENTITY]
    full = _full_identity(records.schema.names)
    known_ids = pc.unique(known) if known is not None else pa.array([], pa.string())
    members = _members(engine, records.select(["unique_id", *identity]), identity, full,
                       known_ids, keep_apart)
    reps = pc.unique(members["profile_id"])
    rows = records.filter(pc.is_in(records["unique_id"], reps))
    was_known = pc.is_in(members["unique_id"], known_ids)
    known_profiles = pc.unique(members.filter(was_known)["profile_id"])
    return Profiles(rows=rows, members=members, known=known_profiles)


def extend(engine: Engine, records: pa.Table, stored: pa.Table,
           keep_apart: set[str] | None = None, whole: bool = False) -> Profiles | None:
    """Profiles for an incremental run: every record profiled by the last run keeps its
    profile, and only the new records are profiled — with the stored records sharing their
    identity, so a new record joins a stored profile under the stored name (its pair scores
    stay valid). Gives what `collapse` gives for unchanged review decisions without profiling
    every record again.

    `stored` (unique_id → profile_id) lines up with the first rows of `records`; the rest are
    new. None if a stored profile lost the record naming it (erased): profile afresh. `whole`:
    nothing was erased since it was stored, so every naming record is there."""
    identity = [c for c in records.schema.names if c not in NOT_IDENTITY]
    count = stored.num_rows
    old = stored.select(["unique_id", "profile_id"])
    is_rep = pc.equal(old["unique_id"], old["profile_id"])
    reps = old["unique_id"].filter(is_rep)
    if not whole and len(reps) != pc.count_distinct(old["profile_id"]).as_py():
        return None
    new = records.slice(count).select(["unique_id", *identity])
    engine.register("profile_new", new)
    # each stored row says whether it names a profile: the peers' names are then known
    # without handing every stored name to the query
    engine.register("profile_stored", _maybe_same(
        records.slice(0, count).select(["unique_id", *identity]).append_column(
            "profile_named", is_rep), new, identity))
    same = " AND ".join(f"s.{c} IS NOT DISTINCT FROM n.{c}" for c in identity)
    try:
        peers = engine.sql(f"SELECT s.* FROM profile_stored s WHERE EXISTS ("
                           f"SELECT 1 FROM profile_new n WHERE {same})")
    finally:
        engine.unregister("profile_new")
        engine.unregister("profile_stored")
    named = peers["unique_id"].filter(peers["profile_named"]).combine_chunks()
    joined = _members(engine, pa.concat_tables([new, peers.select(new.schema.names).cast(
        new.schema)]), identity, _full_identity(records.schema.names), named, keep_apart)
    joined = joined.filter(pc.is_in(joined["unique_id"], new["unique_id"]))
    joined = joined.select(["unique_id", "profile_id"]).cast(old.schema)
    new_reps = pc.equal(joined["unique_id"], joined["profile_id"])
    new_rows = records.slice(count).filter(pc.is_in(records.slice(count)["unique_id"],
                                                    joined["unique_id"].filter(new_reps)))
    fresh = pa.array(np.arange(len(reps) + new_rows.num_rows) >= len(reps), pa.bool_())
    return Profiles(rows=None, members=pa.concat_tables([old, joined]), known=reps,
                    new_members=joined, fresh=fresh, stored=records.slice(0, count),
                    stored_named=is_rep, new_rows=new_rows)


def _maybe_same(stored: pa.Table, new: pa.Table, identity: list[str]) -> pa.Table:
    """The stored rows holding a new row's values in a few selective identity columns: a
    superset of the peers, found by hashing two columns rather than joining on all of them
    (a null matches a null, as IS NOT DISTINCT FROM does). Each column's values are looked up
    first (cheap), then the few rows left are joined on the columns together, so that only
    rows sharing a new row's combination are copied out."""
    columns = [c for c in PREFILTER if c in identity]
    if not columns:
        return stored
    mask = None
    for column in columns:
        hit = pc.is_in(stored[column], value_set=pc.unique(new[column].combine_chunks()),
                       skip_nulls=False)
        mask = hit if mask is None else pc.and_(mask, hit)
    mask = pc.fill_null(mask, False)
    if len(columns) > 1 and all(pa.types.is_string(stored.schema.field(c).type)
                                for c in columns):
        def keyed(table: pa.Table) -> dict[str, pa.Array | pa.ChunkedArray]:
            return {c: pc.fill_null(table[c], NO_VALUE) for c in columns}
        wanted = pa.table(keyed(new)).group_by(columns).aggregate([])
        # filters, not takes: a take from a chunked table first copies it whole
        probe = pa.table(keyed(stored.select(columns).filter(mask))
                         | {"row": pc.indices_nonzero(mask)})
        found = probe.join(wanted, columns, join_type="left semi")["row"].to_numpy()
        chosen = np.zeros(stored.num_rows, dtype=bool)
        chosen[found] = True
        mask = pa.array(chosen)
    return stored.filter(mask)


def _members(engine: Engine, rows: pa.Table, identity: list[str], full: str,
             known: pa.Array, keep_apart: set[str] | None) -> pa.Table:
    """(unique_id, profile_id) for `rows` (`_members_sql`)."""
    apart = pa.array(sorted(keep_apart or set()), pa.string())
    # a one-row placeholder keeps Spark able to infer a schema when a list is empty
    engine.register("profile_input", rows)
    engine.register("profile_known", pa.table({"unique_id": known if len(known) else
                                               pa.array([""], pa.string())}))
    engine.register("profile_apart", pa.table({"unique_id": apart if len(apart) else
                                               pa.array([""], pa.string())}))
    try:
        return engine.sql(_members_sql(identity, full))
    finally:
        for name in ("profile_input", "profile_known", "profile_apart"):
            engine.unregister(name)


def _full_identity(columns: list[str]) -> str:
    present = set(columns)
    checks = []
    if {"first_name", "last_name", "date_of_birth"} <= present:
        checks.append("(first_name IS NOT NULL AND last_name IS NOT NULL "
                      "AND date_of_birth IS NOT NULL)")
    checks += [f"{c} IS NOT NULL" for c in ("nhs_number", "ni_number") if c in present]
    return " OR ".join(checks) if checks else "FALSE"


def _members_sql(identity: list[str], full: str) -> str:
    # Records that may not collapse partition on their own id, so they are their own profile.
    alone = ("CASE WHEN r.unique_id IN (SELECT unique_id FROM profile_apart) "
             f"OR NOT ({full}) THEN r.unique_id END")
    return f"""
        WITH flagged AS (
            SELECT r.unique_id, k.unique_id IS NOT NULL AS known, {alone} AS alone_key,
                   {", ".join(f"r.{c}" for c in identity)}
            FROM profile_input r LEFT JOIN profile_known k ON k.unique_id = r.unique_id
        )
        SELECT unique_id, coalesce(
            min(CASE WHEN known THEN unique_id END) OVER w, min(unique_id) OVER w) AS profile_id
        FROM flagged
        WINDOW w AS (PARTITION BY {", ".join(["alone_key", *identity])})
        ORDER BY unique_id
    """
