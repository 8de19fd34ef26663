"""What changed in the identified zone since the last link run, and the input of an incremental
run: the stored prepared records (ADR 0076) plus only the records delivered since, prepared now.

Datasets whose identified version is the one the last run linked are not read at all; a dataset
with a new version (a new delivery, a re-delivery, records erased) is read, its records linked
before are checked for changed link roles (any change forces full scoring), its new records are
prepared, and stored records no longer delivered are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from odahub.engine.sqltext import identifier
from odahub.hub import Hub
from odahub.link.prepare import LinkInput, _conform, link_roles, prepare, read_union
from odahub.link.stored import StoredInput, flat_nicks


@dataclass
class Delta:
    prepared: LinkInput | None   # every record now (None: prepare everything afresh)
    changed: int                 # records linked before whose link roles changed
    fresh: int = 0               # records prepared now (the last rows of `prepared`)
    kept: StoredInput | None = None  # the stored input without records no longer delivered
    dropped: int = 0             # stored records no longer delivered


def identified_versions(hub: Hub, names: list[str]) -> dict[str, int]:
    return {name: version.version for name in names
            if (version := hub.lake.latest("identified", name)) is not None}


def moved(versions: dict[str, int], linked: dict[str, int]) -> list[str]:
    """Datasets whose identified version is not the one linked last."""
    return sorted(name for name, version in versions.items() if linked.get(name) != version)


def incremental_input(hub: Hub, kept: StoredInput, versions: dict[str, int],
                      linked: dict[str, int]) -> Delta:
    """The stored records still delivered plus the new ones (prepared with the stored roles)."""
    names = moved(versions, linked)
    union = read_union(hub, names)
    changed = changed_records(hub, union, versions, linked)
    if changed:
        return Delta(None, changed)
    records = kept.records
    delivered = pc.binary_join_element_wise(union["dataset"], union["record_id"], ":")
    # stored rows of the moved datasets only (none for a new dataset): hashing every stored id
    # would cost more than the rest of the step
    moved_rows = pc.is_in(records["dataset"], pa.array(names, pa.string()))
    before = records.filter(moved_rows)
    fresh = union.filter(pc.invert(pc.is_in(delivered, before["unique_id"])))
    gone = set(linked) - set(versions)
    # ids are hashed only for stored rows of moved or vanished datasets (none for a new one)
    mine = pc.is_in(records["dataset"], pa.array(sorted({*names, *gone}), pa.string())) \
        if gone else moved_rows
    # a filter, not a take: a take from a chunked table first copies it whole
    stale = pc.indices_nonzero(mine).filter(pc.invert(pc.is_in(
        records["unique_id"].filter(mine), delivered)))
    dropped = len(stale)
    if dropped:
        keep = np.ones(records.num_rows, dtype=bool)
        keep[stale.to_numpy()] = False
        keep = pa.array(keep)
        kept = replace(kept, records=records.filter(keep),
                       profile_of=kept.profile_of.filter(keep), keys=kept.keys.filter(keep))
    records = kept.records
    present = {r for r in link_roles() if r in fresh.schema.names
               and fresh[r].null_count < fresh.num_rows}
    if not present <= set(kept.roles):
        return Delta(None, 0)  # a role never linked before: a new model, from everything
    if fresh.num_rows == 0:
        return Delta(LinkInput(records, kept.roles), 0, 0, kept, dropped)
    new = flat_nicks(prepare(hub, fresh, kept.roles).records)  # as stored rows hold them
    if not set(new.schema.names) <= set(records.schema.names):
        return Delta(None, 0)  # a new context column (households): prepare everything
    for column in records.schema:
        if column.name not in new.schema.names:
            new = new.append_column(column.name, pa.nulls(new.num_rows, column.type))
    new = new.select(records.schema.names).cast(records.schema)
    return Delta(LinkInput(pa.concat_tables([records, new]), kept.roles), 0, new.num_rows, kept,
                 dropped)


def changed_records(hub: Hub, union: pa.Table, versions: dict[str, int],
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
        changed += _differing(hub, _conform(old.select(["dataset", "record_id", *columns])),
                              new.select(["dataset", "record_id", *columns]), columns)
    return changed


def _differing(hub: Hub, old: pa.Table, new: pa.Table, columns: list[str]) -> int:
    hub.engine.register("changed_old", old)
    hub.engine.register("changed_new", new)
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
    return int(rows["n"][0].as_py())
