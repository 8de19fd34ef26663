"""The prepared link input kept with each run, so an incremental run prepares only what is new.

Sealed Parquet in the identified zone's working folder (`identified/_working/`, ADR 0076): a
base file written by a full run — every prepared record (standardised, blocking-ready), its
profile, its household address key and the term frequencies the model scores with
(`tf_<column>`) — plus one delta per incremental run since, holding only the rows it changed.
It holds identifiers, so it stays in the sealed zone, files are replaced whole (no older
copies), and erasure and retention rewrite them without the records they remove
(`governance.purge`, which knows the working folder but not this stage).

Term frequencies are frozen with the model: the run that trains a model computes them over all
its profiles, and every later run scoring with that model (incremental or a full re-link without
retraining) looks them up here, so a pair gets the same score whichever route scored it. A value
first seen after training has no frequency and is weighed by the level's average (Splink's rule
for a missing frequency); `--retrain` recomputes them.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from odahub.governance.purge import WORKING
from odahub.hub import Hub
from odahub.lake import sealed
from odahub.lake.store import TMP_PREFIX
from odahub.link.ahead import Ahead, in_background

NAME = "link_prepared"
# Bump when prepare's derivations change: a file from older code is then prepared afresh.
FORMAT = 3
# Nickname groups are kept flat (names joined by a unit separator, which names never hold):
# decoding a million-row list column costs more than the rest of the file together (ADR 0085).
NICKS = "first_name_nicks"
NICKS_SEPARATOR = "\x1f"
META = b"odahub.link"
MAX_DELTAS = 20  # then an incremental run rewrites the whole input (reading many files costs)


@dataclass
class StoredInput:
    records: pa.Table             # prepared rows, as `prepare` gives them (sorted by unique_id),
                                  # but nickname groups flat (`listed_nicks` restores them)
    profile_of: pa.Table          # unique_id → profile_id at the run that wrote them
    keys: pa.Table                # unique_id → address_key (households) at that run
    frequencies: Future[dict[str, pa.Table]]  # being gathered: `tf`
    run_id: int
    model_id: int
    roles: list[str]
    whole: bool = True            # no record erased since it was written

    @property
    def tf(self) -> dict[str, pa.Table]:
        """column → (column, tf_column): the model's frequencies."""
        return self.frequencies.result()


def path(hub: Hub) -> Path:
    """The base file (a full run's input); incremental runs add `NAME.d<run>.parquet` deltas."""
    return folder(hub) / f"{NAME}.parquet"


def folder(hub: Hub) -> Path:
    return hub.lake.settings.zone("identified") / WORKING


def files(hub: Hub) -> list[Path]:
    """The base file and its deltas, oldest first."""
    deltas = sorted(folder(hub).glob(f"{NAME}.d*.parquet"),
                    key=lambda p: int(p.name[len(NAME) + 2:-len(".parquet")]))
    return [path(hub), *deltas] if path(hub).exists() else []


def save(hub: Hub, records: pa.Table, profile_of: pa.Table, keys: pa.Table,
         tf: dict[str, pa.Table], run_id: int, model_id: int, roles: list[str]) -> None:
    """Replace the stored input by `records` (atomically: a reader sees the old base file or
    the new one), dropping every delta."""
    stale = files(hub)[1:]
    _write(hub, path(hub), _with_extras(records, profile_of, keys, tf),
           {"run_id": run_id, "model_id": model_id, "roles": roles, "tf": sorted(tf),
            "rows": records.num_rows})
    for old in stale:
        old.unlink(missing_ok=True)


def save_delta(hub: Hub, records: pa.Table, profile_of: pa.Table, keys: pa.Table,
               tf: dict[str, pa.Table], run_id: int, parent: int, model_id: int,
               roles: list[str]) -> bool:
    """Add the rows an incremental run changed (new records, and records whose person or
    household key changed) as a delta on the last run's input; False (nothing written) when
    deltas are many enough that a full rewrite is due."""
    if len(files(hub)) > MAX_DELTAS:
        return False
    _write(hub, folder(hub) / f"{NAME}.d{run_id}.parquet",
           _with_extras(records, profile_of, keys, tf),
           {"run_id": run_id, "parent": parent, "model_id": model_id, "roles": roles,
            "tf": sorted(tf), "rows": records.num_rows})
    return True


def _with_extras(records: pa.Table, profile_of: pa.Table, keys: pa.Table,
                 tf: dict[str, pa.Table]) -> pa.Table:
    # by position, not Arrow joins: those refuse the list column of nickname groups
    table = flat_nicks(records)
    table = table.append_column("profile_id", _take(profile_of, "unique_id", "profile_id",
                                                      records["unique_id"]))
    table = table.append_column("address_key", _take(keys, "unique_id", "address_key",
                                                     records["unique_id"]).cast(pa.string()))
    for column in sorted(tf):
        table = table.append_column(f"tf_{column}", _take(tf[column], column, f"tf_{column}",
                                                          records[column]))
    return table


def flat_nicks(records: pa.Table) -> pa.Table:
    """Nickname groups as one string each (as stored); a table without them is unchanged."""
    if NICKS not in records.schema.names or not pa.types.is_list(records.schema.field(NICKS).type):
        return records
    index = records.schema.get_field_index(NICKS)
    return records.set_column(index, NICKS,
                              pc.binary_join(records[NICKS], NICKS_SEPARATOR).cast(pa.string()))


def listed_nicks(records: pa.Table) -> pa.Table:
    """Nickname groups as lists again (as `prepare` gives them), for scoring."""
    if NICKS not in records.schema.names or pa.types.is_list(records.schema.field(NICKS).type):
        return records
    index = records.schema.get_field_index(NICKS)
    return records.set_column(index, NICKS, pc.split_pattern(records[NICKS], NICKS_SEPARATOR))


def _write(hub: Hub, target: Path, table: pa.Table, meta: dict[str, Any]) -> None:
    table = table.replace_schema_metadata({META: json.dumps({"format": FORMAT, **meta})})
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.parent / f"{TMP_PREFIX}{uuid.uuid4().hex}.parquet"
    try:
        # lz4: a run reads the whole input before anything else, and lz4 decodes it in four
        # fifths of zstd's time, for a file a third larger (replaced whole, never versioned)
        with hub.lake.parquet_writer("identified", temporary, table.schema,
                                     compression="lz4") as out:
            out.write_table(table)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def load(hub: Hub, run_id: int | None, model_id: int | None) -> StoredInput | None:
    """The input stored up to run `run_id` for model `model_id` (the base and its deltas, a
    delta's rows replacing earlier rows of the same record); None if it is missing, from
    another run or model, from older code, or unreadable (then everything is prepared)."""
    found = files(hub)
    if run_id is None or model_id is None or not found:
        return None
    read = _AHEAD.take(_signature(found))
    if read is None:
        read = _read(hub, found)
    parts, meta, last, whole = [], {}, None, True
    for part in read:
        if part is None:  # a lost key or a torn file: prepare afresh instead
            return None
        meta = json.loads((part.schema.metadata or {}).get(META, b"{}"))
        if (meta.get("format"), meta.get("model_id"), meta.get("parent")) != (
                FORMAT, model_id, last):
            return None
        last = meta.get("run_id")
        whole = whole and meta.get("rows") == part.num_rows  # erasure takes rows out
        parts.append(part.replace_schema_metadata(None))
    table = _latest_rows(parts) if parts else None
    if table is None or last != run_id:
        return None
    tf_columns = list(meta["tf"])
    records = table.drop_columns(["profile_id", "address_key",
                                  *[f"tf_{c}" for c in tf_columns]])
    # gathered on a thread of its own while the run goes on: scoring is the first to need them
    frequencies = in_background("odahub-link-tf", _lookups, table.select(
        [*tf_columns, *[f"tf_{c}" for c in tf_columns]]), tf_columns)
    return StoredInput(records=records, profile_of=table.select(["unique_id", "profile_id"]),
                       keys=table.select(["unique_id", "address_key"]),
                       frequencies=frequencies, run_id=run_id, model_id=model_id,
                       roles=list(meta["roles"]), whole=whole)


# Stored files being read ahead (`ahead`), by their paths, sizes and modification times.
_AHEAD: Ahead[tuple[tuple[str, int, int], ...], list[pa.Table | None]] = Ahead(
    "odahub-link-stored")


@contextmanager
def ahead(hub: Hub) -> Iterator[None]:
    """Read the stored files in the background while the block runs; `load` takes what was
    read if the files are still the same."""
    found = files(hub)
    with _AHEAD.started([(_signature(found), partial(_read, hub, found))] if found else []):
        yield


def _signature(found: list[Path]) -> tuple[tuple[str, int, int], ...]:
    stats = [(str(p), p.stat()) for p in found]
    return tuple((name, stat.st_size, stat.st_mtime_ns) for name, stat in stats)


def _read(hub: Hub, found: list[Path]) -> list[pa.Table | None]:
    """Each file's table, None for one that cannot be opened (a lost key, a torn file)."""
    keys = hub.lake.keys
    read: list[pa.Table | None] = []
    for file in found:
        try:
            read.append(sealed.read(file, keys.key_by_id if keys is not None else None))
        except Exception:  # noqa: BLE001 - the caller prepares afresh instead
            read.append(None)
    return read


def _latest_rows(parts: list[pa.Table]) -> pa.Table:
    """The parts (oldest first) with each record's latest row: one filter per part, against
    the ids of every later part, rather than re-filtering the growing whole per delta."""
    later = None
    kept = []
    for index, part in enumerate(reversed(parts)):
        kept.append(part if later is None else part.filter(pc.invert(pc.is_in(part["unique_id"],
                                                                              later))))
        if index + 1 < len(parts):  # the oldest part's ids replace nothing
            ids = part["unique_id"].combine_chunks()
            later = ids if later is None else pa.concat_arrays([later, ids])
    schema = parts[0].schema
    return pa.concat_tables([p.cast(schema) for p in reversed(kept)])


def _lookups(table: pa.Table, columns: list[str]) -> dict[str, pa.Table]:
    """(value, tf) for every value holding a frequency, per column (Arrow, not the engine:
    this runs beside the run's own queries)."""
    found = {}
    for column in columns:
        tf = f"tf_{column}"
        grouped = table.select([column, tf]).filter(pc.is_valid(table[tf])).group_by(
            column).aggregate([(tf, "max")])
        found[column] = pa.table({column: grouped[column], tf: grouped[f"{tf}_max"]})
    return found


def _take(lookup: pa.Table, key: str, value: str,
          keys: pa.Array | pa.ChunkedArray) -> pa.ChunkedArray:
    """lookup[value] for each of `keys` (null where a key is absent)."""
    found = pc.index_in(keys, value_set=lookup[key].combine_chunks())
    return lookup[value].take(found)
