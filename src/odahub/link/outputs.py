"""The linked zone: what the link stage hands on (contracts.md), plus its own working tables.

linked/links       dataset, record_id, person_id, household_id, match_probability
linked/households  household_id, person_id, valid_from, valid_to, uprn_token
linked/id_history  old_id, new_id, change, run, at  (cumulative)
linked/pairs       unique_id_l, unique_id_r, match_weight, match_probability — scored pairs
                   above the review band, so incremental runs re-cluster without re-scoring.
No direct identifiers: records are named by dataset and record_id only.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import ExitStack, contextmanager
from functools import partial
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from odahub.catalog.tables.core import DatasetVersion
from odahub.hub import Hub
from odahub.lake.store import VersionWriter
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
def ahead(hub: Hub, names: list[str],
          then: dict[str, Callable[[pa.Table], pa.Table]] | None = None) -> Iterator[None]:
    """Read the latest versions of these tables in the background while the block runs (and
    apply `then[name]` to each there); `read` takes them when it gets there."""
    versions = [(name, hub.lake.latest("linked", name)) for name in names]  # on this thread

    def job(version: DatasetVersion, name: str) -> pa.Table:
        table = hub.lake.read_table(version)
        return (then or {}).get(name, lambda read: read)(table)
    with _AHEAD.started((_key(hub, name, version), partial(job, version, name))
                        for name, version in versions if version is not None):
        yield


def read(hub: Hub, name: str, keep: tuple[str, ...] = ()) -> pa.Table:
    """The latest version of a linked table, or an empty table of its schema; with the `keep`
    columns that `ahead` added, if it did."""
    version = hub.lake.latest("linked", name)
    if version is None:
        return SCHEMAS[name].empty_table()
    table = _AHEAD.take(_key(hub, name, version))
    if table is None:
        table = hub.lake.read_table(version)
    conformed = table.select(SCHEMAS[name].names).cast(SCHEMAS[name])
    for column in keep:
        if column in table.schema.names:
            conformed = conformed.append_column(column, table[column])
    return conformed


def files(hub: Hub, name: str) -> list[Path]:
    """The files of the latest version of a linked table."""
    version = hub.lake.latest("linked", name)
    return hub.lake.files_of(version) if version is not None else []


def rows(hub: Hub, name: str) -> int:
    """How many rows the latest version of a linked table holds (0 if there is none)."""
    version = hub.lake.latest("linked", name)
    return int(version.rows_accepted or 0) if version is not None else 0


class Writes:
    """The linked tables of one run, each encoded on a thread as soon as the run has it (so
    the pairs and id history are written while households are still being found), committed
    together at the end of `writing`. A table may be added in several parts (the rows known
    early first): each is encoded as soon as it is added, and together they are one version."""

    def __init__(self, hub: Hub, run_id: int, stack: ExitStack, pool: ThreadPoolExecutor):
        self._hub, self._run_id, self._stack, self._pool = hub, run_id, stack, pool
        self._writers: dict[str, VersionWriter] = {}
        self._parts: dict[str, int] = {}
        self._encoding: list[Future[None]] = []
        self.versions: dict[str, int] = {}

    def add(self, name: str, table: pa.Table, rows: pa.Array | None = None) -> None:
        """Add rows to this run's version of `name` (opened on the first call): the table's,
        or those `rows` (a mask) picks, picked on the encoding threads."""
        conformed = table.select(SCHEMAS[name].names)
        if conformed.schema != SCHEMAS[name]:
            conformed = conformed.cast(SCHEMAS[name])
        count = conformed.num_rows if rows is None else int(pc.sum(rows).as_py() or 0)
        writer = self._open(name)
        writer.stats["rows_read"] += count
        writer.stats["rows_accepted"] += count
        # a large table is written as parts, encoded side by side (one file is one thread)
        parts = max(1, min(PARTS, count // PART_ROWS))
        size = -(-conformed.num_rows // parts) if conformed.num_rows else 0
        for index, filename in enumerate(self._file_names(name, parts)):
            self._encoding.append(self._pool.submit(
                _encode, writer, name, conformed.slice(index * size, size),
                None if rows is None else rows.slice(index * size, size), filename))

    def add_files(self, name: str, files: list[Path], rows: int) -> None:
        """Add the files of an earlier version of `name` (holding `rows` rows) to this run's
        version as they are: rows a run keeps unchanged are not encoded again. Versions are
        immutable, so the files are hard links (copies where links are not possible)."""
        writer = self._open(name)
        writer.stats["rows_read"] += rows
        writer.stats["rows_accepted"] += rows
        for source, filename in zip(files, self._file_names(name, len(files)), strict=True):
            target = writer.folder / filename
            try:
                os.link(source, target)
            except OSError:
                shutil.copyfile(source, target)
            writer.files.append(target.name)

    def _file_names(self, name: str, count: int) -> list[str]:
        """The next `count` part names of this run's version of `name`."""
        first = self._parts.get(name, 0)
        self._parts[name] = first + count
        return [f"part-{first + index}.parquet" for index in range(count)]

    def _open(self, name: str) -> VersionWriter:
        writer = self._writers.get(name)
        if writer is None:
            writer = self._stack.enter_context(self._hub.lake.new_version(
                "linked", name, created_by=f"link run {self._run_id}"))
            self._writers[name] = writer
            writer.stats["rows_read"] = writer.stats["rows_accepted"] = 0
        return writer

    def settle(self) -> None:
        """Wait for every file (a failed one raises: then no version is committed)."""
        wait(self._encoding)
        for done in self._encoding:
            done.result()
        for writer in self._writers.values():
            writer.files.sort(key=lambda f: int(f[len("part-"):-len(".parquet")]))

    def committed(self) -> None:
        """Note each table's version number (known once the versions are committed)."""
        self.versions = {name: int(writer.stats["version"])
                         for name, writer in self._writers.items()}


PARTS = 2               # this machine's cores: more parts than that only adds files
PART_ROWS = 250_000     # smaller tables are one file
# Dictionary encoding only where values repeat: on columns of ids Parquet builds a dictionary,
# finds it too large and falls back, which costs a third of the encoding for nothing. Column
# statistics are left out too: min and max of ids skip nothing for any reader. lz4, not the
# lake's zstd: every run rewrites these tables and the next reads them back, and lz4 does both
# in about three quarters of the time, for files about 1.7 times as large.
DICTIONARY = {"links": ["dataset"], "households": ["valid_from", "valid_to", "uprn_token"],
              "id_history": ["change", "run", "at"], "pairs": []}
COMPRESSION = "lz4"


def _encode(writer: VersionWriter, name: str, table: pa.Table, rows: pa.Array | None,
            filename: str) -> None:
    if rows is not None:
        table = table.filter(rows)
    with writer.batch_writer(table.schema, filename, use_dictionary=DICTIONARY[name],
                             write_statistics=False, compression=COMPRESSION) as out:
        out.write_table(table)


@contextmanager
def writing(hub: Hub, run_id: int) -> Iterator[Writes]:
    """Encode the linked tables the block adds (Parquet encoding releases the GIL), then
    commit their versions one by one; if the block or any write fails, none is committed."""
    with ExitStack() as stack:
        pool = ThreadPoolExecutor(max_workers=PARTS, thread_name_prefix="odahub-link-write")
        writes = Writes(hub, run_id, stack, pool)
        try:
            yield writes
        finally:
            pool.shutdown(wait=True)  # no file is still being written when versions close
        writes.settle()
        # versions commit as the stack unwinds (in reverse order of opening)
    writes.committed()
