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
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from functools import partial

import pyarrow as pa

from odahub.catalog.tables.core import DatasetVersion
from odahub.hub import Hub
from odahub.link.ahead import Ahead

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
_AHEAD: Ahead[tuple[str, str, int], pa.Table] = Ahead("odahub-link-read")


def _key(hub: Hub, name: str, version: DatasetVersion) -> tuple[str, str, int]:
    return str(hub.lake.settings.lake), name, version.version


@contextmanager
def ahead(hub: Hub, names: list[str]) -> Iterator[None]:
    """Read the latest versions of these tables in the background while the block runs;
    `read` takes them when it gets there."""
    versions = [(name, hub.lake.latest("linked", name)) for name in names]  # on this thread
    with _AHEAD.started((_key(hub, name, version), partial(hub.lake.read_table, version))
                        for name, version in versions if version is not None):
        yield


def read(hub: Hub, name: str) -> pa.Table:
    """The latest version of a linked table, or an empty table of its schema."""
    version = hub.lake.latest("linked", name)
    if version is None:
        return SCHEMAS[name].empty_table()
    table = _AHEAD.take(_key(hub, name, version))
    if table is None:
        table = hub.lake.read_table(version)
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
