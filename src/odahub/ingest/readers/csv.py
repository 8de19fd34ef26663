"""CSV through DuckDB's parallel CSV scanner, streamed in Arrow batches (ADR 0020).

DuckDB sniffs the delimiter, validates UTF-8 and records rows it cannot split in a rejects
table with their line; we keep every value as text so validation decides what is wrong.
Files in other encodings are transcoded to UTF-8 in large chunks first.
"""

from __future__ import annotations

import codecs
import queue
import re
import threading
import uuid
from collections.abc import Generator, Iterable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from odahub.engine.duck import quote_path
from odahub.engine.sqltext import identifier as ident
from odahub.engine.sqltext import literal as sql_text
from odahub.errors import DeliveryError, Problem
from odahub.ingest.detect import detect_encoding, is_utf8
from odahub.ingest.readers.base import BATCH_ROWS, ROW, Reject, Rescan, fail
from odahub.ingest.spec import FeedSpec

CHUNK = 16 << 20
RAW_LIMIT = 2000  # characters of a rejected line kept; a 100 MB line is not worth storing
# DuckDB's scan buffers grow with max_line_size (and the sniffer reads a whole buffer), so
# files are first read with DuckDB's default limit and only re-read with options.max_line_bytes
# if a longer line turns up; `sha256_of` has already refused lines over the spec's limit.
SHORT_LINES = 2 << 20


class CsvSource:
    """A CSV file opened for streaming; `rejects` fills as the scan goes.

    `relation()` is the file as a FROM-able query of text columns (plus an empty `_source_row`)
    and `stream(query)` runs a query over it, so process.py can read, validate and standardise
    in one parallel DuckDB pipeline. Rows arrive in file order; their numbers are counted by
    the caller, stepping over `skipped` (rows the scanner rejected). The scanner only reports
    those at the end, so a file with rejected rows raises `Rescan` once and is read again.
    """

    def __init__(self, path: Path, spec: FeedSpec, workdir: Path) -> None:
        self.path = path
        self.spec = spec
        self.rejects: list[Reject] = []
        self.skipped: np.ndarray | None = None
        self.accepted_rows = 0
        self.line_limit = min(SHORT_LINES, spec.options.max_line_bytes)
        self.encoding = spec.options.encoding or detect_encoding(path)
        self.read_path = path if is_utf8(self.encoding) else transcode(path, self.encoding, workdir)
        self.connection = duckdb.connect()
        self.connection.execute(f"SET temp_directory = {quote_path(workdir)}")
        self.connection.execute("SET enable_progress_bar = false")
        self._new_rejects_table()
        self.raw_columns = self._describe()
        self.columns = [c.strip() for c in self.raw_columns]
        if self.columns == ["column0"] and self.path.stat().st_size == 0:
            raise fail("the file is empty", path)

    def _new_rejects_table(self) -> None:
        tag = uuid.uuid4().hex[:8]
        self.rejects_table, self.rejects_scan = f"rejects_{tag}", f"scans_{tag}"

    def _scan(self) -> str:
        options = self.spec.options
        args = [
            quote_path(self.read_path), "all_varchar = true", "header = true",
            f"quote = {sql_text(options.quote or chr(34))}", "strict_mode = true",
            f"max_line_size = {self.line_limit}", "store_rejects = true",
            f"rejects_table = '{self.rejects_table}'", f"rejects_scan = '{self.rejects_scan}'",
            "parallel = true",
        ]
        if options.delimiter:
            args.append(f"delim = {sql_text(options.delimiter)}")
        if options.header_row and options.header_row > 1:
            args.append(f"skip = {options.header_row - 1}")
        return f"read_csv({', '.join(args)})"

    def _describe(self) -> list[str]:
        try:
            rows = self.connection.sql(f"DESCRIBE SELECT * FROM {self._scan()}").fetchall()
        except duckdb.Error as error:
            if self._widen(error):
                return self._describe()
            raise self._error(error) from error
        return [str(row[0]) for row in rows]

    def _widen(self, error: duckdb.Error) -> bool:
        """A line over the short limit: read with options.max_line_bytes (True: try again)."""
        if "Maximum line size" in str(error) and self.line_limit < self.spec.options.max_line_bytes:
            self.line_limit = self.spec.options.max_line_bytes
            return True
        return False

    def relation(self) -> str:
        """The file's rows as text columns named as in the spec, plus an empty `_source_row`."""
        self._new_rejects_table()
        select = ", ".join(f"{ident(raw)} AS {ident(clean)}" for raw, clean in zip(
            self.raw_columns, self.columns, strict=True))
        return f"(SELECT {select}, NULL::BIGINT AS {ident(ROW)} FROM {self._scan()})"

    def sample(self, rows: int) -> pa.Table:
        """The first rows of the file (for detecting date formats)."""
        try:
            return self.connection.sql(
                f"SELECT * FROM {self.relation()} LIMIT {int(rows)}").to_arrow_table()
        except duckdb.Error as error:
            if self._widen(error):
                return self.sample(rows)
            raise self._error(error) from error

    def stream(self, query: str) -> Generator[pa.RecordBatch, None, None]:
        """Run `query` (over one `relation()`) in file order; then collect the scan's rejects.

        Raises `Rescan` if the file must be read again: a line over the short line limit, or
        rejected rows found where none were expected (the rows streamed were misnumbered)."""
        streamed = 0
        try:
            reader = self.connection.sql(query).to_arrow_reader(BATCH_ROWS)
            for batch in prefetched(reader) if PREFETCH else reader:
                streamed += batch.num_rows
                yield batch
        except duckdb.Error as error:
            if self._widen(error):
                raise Rescan("a line is longer than the short line limit") from error
            raise self._error(error) from error
        self._collect_rejects(total=streamed)
        if self.rejects and self.skipped is None:
            self.skipped = np.array(sorted(r.row for r in self.rejects), dtype=np.int64)
            raise Rescan(f"{len(self.rejects)} row(s) rejected by the scanner")

    def schema_of(self, query: str) -> pa.Schema:
        """The Arrow schema of a query over `relation()` (for a file with no rows)."""
        try:
            return self.connection.sql(f"SELECT * FROM ({query}) LIMIT 0").to_arrow_table().schema
        except duckdb.Error as error:
            raise self._error(error) from error

    def batches(self) -> Iterator[pa.RecordBatch]:
        """Numbered text rows (the generic `Source` protocol; process.py fuses instead)."""
        if self.skipped is None and self.spec.options.ragged_rows == "quarantine":
            self.skipped = self._prescan()
        row = 1
        with closing(self.stream(f"SELECT * FROM {self.relation()}")) as batches:
            for batch in batches:
                numbers = pa.array(record_numbers(row, batch.num_rows, self.skipped), pa.int64())
                row += batch.num_rows
                yield batch.set_column(batch.num_columns - 1, ROW, numbers)

    def _prescan(self) -> np.ndarray:
        """Find rejected rows first, so accepted rows keep their true numbers around them."""
        try:
            accepted = self.connection.sql(
                f"SELECT count(*) FROM {self.relation()}").fetchall()
        except duckdb.Error as error:
            raise self._error(error) from error
        self._collect_rejects(total=int(accepted[0][0]))
        return np.array(sorted(r.row for r in self.rejects), dtype=np.int64)

    def _collect_rejects(self, total: int | None = None) -> None:
        # DuckDB logs one entry per missing/extra field; keep one per line, with the message
        # giving the real field count (first entry if fields are missing, last if too many).
        found = self.connection.sql(
            "SELECT line, arg_min(column_name, column_idx), arg_min(error_type, column_idx), "
            "CASE WHEN arg_min(error_type, column_idx) = 'TOO MANY COLUMNS' "
            "THEN arg_max(error_message, column_idx) ELSE arg_min(error_message, column_idx) "
            f"END, arg_min(csv_line, column_idx) FROM {self.rejects_table} "
            "GROUP BY line ORDER BY line").fetchall()
        header_line = self.spec.options.header_row or 1
        problems = [Reject(row=int(line) - header_line, column=column, raw=(raw or "")[:RAW_LIMIT],
                           reason=describe_reject(str(kind), str(message)))
                    for line, column, kind, message, raw in found]
        bad_encoding = [p for p in problems if "not utf-8" in p.reason]
        if bad_encoding:
            first = bad_encoding[0]
            raise fail(f"the file is not valid {self.encoding} text (first bad byte on line "
                       f"{first.row + 1}); set options.encoding (it looks like "
                       f"{detect_encoding(self.path)})", self.path, line=first.row + 1)
        options = self.spec.options
        self.accepted_rows = total if total is not None else self.accepted_rows
        share = len(problems) / max(self.accepted_rows + len(problems), 1)
        if problems and (options.ragged_rows == "fail" or share > options.max_ragged_share):
            raise DeliveryError(
                f"cannot ingest {self.path.name}: {len(problems)} row(s) ({share:.0%}) could "
                "not be split into the header's columns (is the file truncated, or the "
                "delimiter wrong?); the limit is options.max_ragged_share = "
                f"{options.max_ragged_share:.0%}",
                [Problem(p.reason, file=self.path.name, line=p.row + 1, column=p.column)
                 for p in problems[:20]])
        self.rejects = problems

    def _error(self, error: duckdb.Error) -> DeliveryError:
        text = str(error)
        line = re.search(r"on Line: (\d+)", text)
        size = re.search(r"Actual Size:\s*(\d+)", text)
        where = {"line": int(line.group(1))} if line else {}
        if size:
            return fail(f"a line is {int(size.group(1)):,} bytes long, over the limit of "
                        f"{self.spec.options.max_line_bytes:,} (options.max_line_bytes)",
                        self.path, **where)
        first = text.splitlines()[0][:300] if text else type(error).__name__
        if "Original Line" in text or "unicode" in text.lower():
            first = next((s for s in text.splitlines()[2:] if s.strip()), first)[:300]
        return fail(first.replace("Invalid Input Error: ", ""), self.path, **where)

    def close(self) -> None:
        self.connection.close()


_END = object()
PREFETCH = 2  # batches the scan may run ahead of the caller


def prefetched(batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Pull `batches` in a thread so DuckDB computes the next batches while the caller writes
    this one (DuckDB releases the GIL while it works). Errors reach the caller in order."""
    ready: queue.Queue[Any] = queue.Queue(maxsize=PREFETCH)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for batch in batches:
                if not put(batch):
                    return
            put(_END)
        except BaseException as error:  # noqa: BLE001  (handed to the consumer, raised there)
            put(error)

    worker = threading.Thread(target=produce, name="csv-prefetch", daemon=True)
    worker.start()
    try:
        while (item := ready.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join()


def record_numbers(first: int, count: int, skipped: np.ndarray | None) -> np.ndarray:
    """Record numbers of `count` accepted rows starting at accepted row `first`, stepping over
    rows the scanner rejected (vectorised: where each reject would sit among accepted rows)."""
    accepted = np.arange(first, first + count, dtype=np.int64)
    if skipped is None or not len(skipped):
        return accepted
    insert_at = skipped - np.arange(len(skipped), dtype=np.int64)
    return accepted + np.searchsorted(insert_at, accepted, side="right")


def describe_reject(kind: str, message: str) -> str:
    if "unicode" in message.lower():
        return "not utf-8 text"
    return f"{kind.lower()}: {message.splitlines()[0][:200]}"


def transcode(path: Path, encoding: str, workdir: Path) -> Path:
    """Re-encode to UTF-8 chunk by chunk (C codecs, constant memory), naming the first bad byte."""
    try:
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    except LookupError as error:
        raise fail(f"unknown encoding {encoding!r} in options.encoding", path) from error
    out = workdir / f"{uuid.uuid4().hex}.utf8.csv"
    line = 1
    with open(path, "rb") as source, open(out, "w", encoding="utf-8", newline="") as target:
        while chunk := source.read(CHUNK):
            try:
                text = decoder.decode(chunk)
            except UnicodeDecodeError as error:
                line += chunk.count(b"\n", 0, error.start)
                raise fail(f"byte 0x{chunk[error.start]:02x} is not valid {encoding} text; "
                           "set options.encoding to the file's encoding", path,
                           line=line) from error
            line += chunk.count(b"\n")
            target.write(text)
        target.write(decoder.decode(b"", final=True))
    return out
