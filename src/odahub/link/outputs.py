"""The linked zone: what the link stage hands on (contracts.md), plus its own working tables.

linked/links       dataset, record_id, person_id, household_id, match_probability
linked/households  household_id, person_id, valid_from, valid_to, uprn_token
linked/id_history  old_id, new_id, change, run, at  (cumulative)
linked/pairs       unique_id_l, unique_id_r, match_weight, match_probability — scored pairs
                   above the review band, so incremental runs re-cluster without re-scoring.
No direct identifiers: records are named by dataset and record_id only.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager

import pyarrow as pa

from odahub.hub import Hub

LINKS = pa.schema([("dataset", pa.string()), ("record_id", pa.string()),
                   ("person_id", pa.string()), ("household_id", pa.string()),
                   ("match_probability", pa.float64())])
HOUSEHOLDS = pa.schema([("household_id", pa.string()), ("person_id", pa.string()),
                        ("valid_from", pa.date32()), ("valid_to", pa.date32()),
                        ("uprn_token", pa.string())])
HISTORY = pa.schema([("old_id", pa.string()), ("new_id", pa.string()), ("change", pa.string()),
                     ("run", pa.int64()), ("at", pa.timestamp("us"))])
PAIRS = pa.schema([("unique_id_l", pa.string()), ("unique_id_r", pa.string()),
                   ("match_weight", pa.float64()), ("match_probability", pa.float64())])
SCHEMAS = {"links": LINKS, "households": HOUSEHOLDS, "id_history": HISTORY, "pairs": PAIRS}


# Tables being read ahead (`ahead`), by lake, name and version: a version's files are its own.
_AHEAD: dict[tuple[str, str, int], Future[pa.Table]] = {}


@contextmanager
def ahead(hub: Hub, names: list[str]) -> Iterator[None]:
    """Read the latest versions of these tables in the background while the block runs;
    `read` takes them when it gets there (Parquet decoding releases the GIL, so an
    incremental run overlaps them with its own work). Nothing outlives the block."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="odahub-link-read")
    keys = []
    try:
        for name in names:
            version = hub.lake.latest("linked", name)  # catalog lookups stay on this thread
            if version is not None:
                key = (str(hub.lake.settings.lake), name, version.version)
                _AHEAD[key] = pool.submit(hub.lake.read_table, version)
                keys.append(key)
        yield
    finally:
        for key in keys:
            _AHEAD.pop(key, None)
        pool.shutdown(wait=True, cancel_futures=True)


def read(hub: Hub, name: str) -> pa.Table:
    """The latest version of a linked table, or an empty table of its schema."""
    version = hub.lake.latest("linked", name)
    if version is None:
        return SCHEMAS[name].empty_table()
    early = _AHEAD.pop((str(hub.lake.settings.lake), name, version.version), None)
    table = early.result() if early is not None else hub.lake.read_table(version)
    return table.select(SCHEMAS[name].names).cast(SCHEMAS[name])


def write(hub: Hub, tables: dict[str, pa.Table], run_id: int) -> dict[str, int]:
    """Write each table as a new version; returns the version numbers.

    The files are encoded side by side (Parquet encoding releases the GIL: the linked tables
    of a million records take half the time), then the versions are committed one by one;
    if any write fails, none is committed."""
    versions: dict[str, int] = {}
    with ExitStack() as stack:
        writers = {}
        for name, table in tables.items():
            conformed = table.select(SCHEMAS[name].names).cast(SCHEMAS[name])
            writers[name] = (stack.enter_context(hub.lake.new_version(
                "linked", name, created_by=f"link run {run_id}", rows_read=conformed.num_rows,
                rows_accepted=conformed.num_rows)), conformed)
        with ThreadPoolExecutor(max_workers=len(writers) or 1) as pool:
            for done in [pool.submit(writer.write_table, table)
                         for writer, table in writers.values()]:
                done.result()
        # versions commit as the stack unwinds (in reverse order of opening)
    for name, (writer, _table) in writers.items():
        versions[name] = int(writer.stats["version"])
    return versions
