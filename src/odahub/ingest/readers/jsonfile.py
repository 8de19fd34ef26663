"""JSON documents and newline-delimited JSON, parsed and streamed by DuckDB's JSON reader.

Each record becomes one row of text values; `record_path` (dotted) picks the list of records
inside a document (`data.records`) or inside each NDJSON line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from odahub.engine.duck import quote_path
from odahub.errors import DeliveryError
from odahub.ingest.readers.base import BATCH_ROWS, ROW, fail
from odahub.ingest.spec import FeedSpec

KEY_SAMPLE = 20_000


class JsonSource:
    def __init__(self, path: Path, spec: FeedSpec, workdir: Path) -> None:
        self.path = path
        self.rejects: list = []  # type: ignore[type-arg]
        if path.stat().st_size == 0:
            raise fail("the file is empty", path)
        self.connection = duckdb.connect()
        self.connection.execute(f"SET temp_directory = {quote_path(workdir)}")
        self.connection.execute("SET enable_progress_bar = false")
        self.records = self._records_sql(spec)
        self.columns = self._keys()

    def _records_sql(self, spec: FeedSpec) -> str:
        nd = self.nd = spec.format == "ndjson"
        fmt = "newline_delimited" if nd else "auto"
        scan = (f"read_json_objects({quote_path(self.path)}, format = '{fmt}', "
                "maximum_object_size = 1073741824)")
        path = spec.options.record_path
        if not path:
            if nd:
                return f"SELECT json AS r FROM {scan}"
            # A top-level array gives one object per record; a single object is one record.
            return (f"SELECT unnest(CASE WHEN json_type(json) = 'ARRAY' THEN "
                    f"json_extract(json, '$[*]') ELSE [json] END) AS r FROM {scan}")
        pointer = "$." + ".".join(f'"{part}"' for part in path.split("."))
        return (f"SELECT unnest(json_extract(json, '{pointer}[*]')) AS r FROM {scan} "
                f"WHERE json_extract(json, '{pointer}') IS NOT NULL")

    def _keys(self) -> list[str]:
        """Keys of a sample of records; nested objects become dotted keys (patient.forename)."""
        sample = self._fetch(f"SELECT CAST(r AS VARCHAR) FROM ({self.records}) LIMIT {KEY_SAMPLE}")
        keys: dict[str, None] = {}
        for (text,) in sample:
            value = json.loads(text) if text else None
            if isinstance(value, dict):
                keys.update(dict.fromkeys(flat_keys(value)))
        if not keys:
            raise fail("no records found (check options.record_path)", self.path)
        return list(keys)

    def _fetch(self, query: str) -> list[tuple[Any, ...]]:
        try:
            return self.connection.sql(query).fetchall()
        except duckdb.Error as error:
            raise self._error(error) from error

    def batches(self) -> Iterator[pa.RecordBatch]:
        fields = ", ".join(f"json_extract_string(r, {json_path(key)}) AS \"{key}\""
                           for key in self.columns)
        try:
            reader = self.connection.sql(
                f"SELECT {fields} FROM ({self.records})").to_arrow_reader(BATCH_ROWS)
            row = 1
            for batch in reader:
                rows = pa.array(range(row, row + batch.num_rows), pa.int64())
                row += batch.num_rows
                yield pa.RecordBatch.from_arrays([*batch.columns, rows],
                                                 names=[*self.columns, ROW])
        except duckdb.Error as error:
            raise self._error(error) from error

    def _error(self, error: duckdb.Error) -> DeliveryError:
        text = str(error).replace("Invalid Input Error: ", "").strip()
        message = re.sub(r' in file "[^"]*",?| at byte \d+ in line \d+', "",
                         text.splitlines()[0])[:300]
        line = first_bad_line(self.path, self.nd)
        return fail(f"malformed JSON: {message}", self.path,
                    **({"line": line} if line else {}))

    def close(self) -> None:
        self.connection.close()


def first_bad_line(path: Path, newline_delimited: bool, limit: int = 512 << 20) -> int | None:
    """Only on the error path: find the line Python's parser stops at (DuckDB's count is off
    by one for NDJSON), unless the file is too big to check this way."""
    if path.stat().st_size > limit:
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None
    if not newline_delimited:
        try:
            json.loads(text)
        except json.JSONDecodeError as error:
            return error.lineno
        return None
    for number, line in enumerate(text.splitlines(), start=1):
        try:
            if line.strip():
                json.loads(line)
        except json.JSONDecodeError:
            return number
    return None


def flat_keys(record: dict[str, Any], prefix: str = "") -> list[str]:
    found: list[str] = []
    for key, value in record.items():
        name = f"{prefix}{key}"
        found += flat_keys(value, f"{name}.") if isinstance(value, dict) and value else [name]
    return found


def json_path(key: str) -> str:
    parts = ".".join('"' + part.replace('"', '\\"') + '"' for part in key.split("."))
    return "'$." + parts.replace("'", "''") + "'"
