"""File writers per format. Each is opened once per feed and fed chunk after chunk, so a county
of any size streams to disk. Output is byte-for-byte deterministic (fixed metadata)."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import xlsxwriter

from odahub.synth.feeds.base import Feed

FIXED_TIME = dt.datetime(2026, 1, 5, 9, 0, 0)


class Writer(Protocol):
    def write(self, frame: pd.DataFrame, malformed: np.ndarray) -> None: ...
    def close(self) -> None: ...


def open_writer(feed: Feed, path: Path) -> Writer:
    kinds: dict[str, type[Any]] = {"csv": CsvWriter, "xlsx": XlsxWriter, "json": JsonWriter,
                                   "ndjson": JsonWriter, "xml": XmlWriter,
                                   "parquet": ParquetFeedWriter}
    writer: Writer = kinds[feed.format](feed, path)
    return writer


class CsvWriter:
    """Delimited text; malformed rows become ragged (one field too many)."""

    def __init__(self, feed: Feed, path: Path) -> None:
        self.delimiter = str(feed.option("delimiter", ","))
        self.encoding = str(feed.option("encoding", "utf-8"))
        self.handle = path.open("wb")
        self.first = True

    def write(self, frame: pd.DataFrame, malformed: np.ndarray) -> None:
        buffer = io.StringIO()
        frame.to_csv(buffer, sep=self.delimiter, index=False, header=self.first,
                     lineterminator="\r\n")
        lines = buffer.getvalue().split("\r\n")
        offset = 1 if self.first else 0
        for row in np.flatnonzero(malformed):
            lines[row + offset] += self.delimiter + "see notes"
        text = "\r\n".join(lines)
        encoding = self.encoding
        if encoding == "utf-8-sig" and not self.first:
            encoding = "utf-8"  # the byte-order mark only starts the file
        self.handle.write(text.encode(encoding, errors="replace"))
        self.first = False

    def close(self) -> None:
        self.handle.close()


class XlsxWriter:
    """A workbook as exported from a case management system: title rows, a merged group
    header above the real header, real date cells."""

    def __init__(self, feed: Feed, path: Path) -> None:
        self.book = xlsxwriter.Workbook(str(path), {"constant_memory": True,
                                                    "default_date_format": "dd/mm/yyyy"})
        self.book.set_properties({"created": FIXED_TIME, "author": "odahub synth"})
        self.sheet = self.book.add_worksheet(str(feed.option("sheet", "Sheet1")))
        self.bold = self.book.add_format({"bold": True})
        self.dates = self.book.add_format({"num_format": "dd/mm/yyyy"})
        self.row = 0
        for title in feed.layout.get("title", []):
            self.sheet.write_string(self.row, 0, title, self.bold)
            self.row += 1
        groups = feed.layout.get("groups", [])
        if groups:
            merged = self.book.add_format({"bold": True, "align": "center", "border": 1})
            for label, first, last in groups:
                self.sheet.merge_range(self.row, first, self.row, last, label, merged)
            self.row += 1
        self.header_written = False

    def write(self, frame: pd.DataFrame, malformed: np.ndarray) -> None:
        if not self.header_written:
            self.sheet.write_row(self.row, 0, list(frame.columns), self.bold)
            self.row += 1
            self.header_written = True
        # Call the typed write method per cell directly: write() type-sniffs every value.
        sheet = self.sheet
        columns = [frame[name].to_numpy(dtype=object) for name in frame.columns]
        for offset in range(len(frame)):
            row = self.row + offset
            for column, values in enumerate(columns):
                value = values[offset]
                if isinstance(value, str):
                    sheet.write_string(row, column, value)
                elif isinstance(value, dt.date):
                    sheet.write_datetime(row, column, value, self.dates)
                elif isinstance(value, bool | np.bool_):
                    sheet.write_boolean(row, column, bool(value))
                elif isinstance(value, int | float | np.number) and not pd.isna(value):
                    sheet.write_number(row, column, float(value))
        self.row += len(frame)

    def close(self) -> None:
        self.book.close()


def nest(record: dict[str, Any]) -> dict[str, Any]:
    """{"patient.nhs_number": x} -> {"patient": {"nhs_number": x}}; nulls left out."""
    nested: dict[str, Any] = {}
    for key, value in record.items():
        if value is None or (isinstance(value, float) and np.isnan(value)):
            continue
        target = nested
        *parents, leaf = key.split(".")
        for parent in parents:
            target = target.setdefault(parent, {})
        target[leaf] = value.item() if isinstance(value, np.generic) else value
    return nested


class JsonWriter:
    """NDJSON (one object a line), or one JSON document with the records under record_path."""

    def __init__(self, feed: Feed, path: Path) -> None:
        self.lines = feed.format == "ndjson"
        self.path = str(feed.option("record_path", "") or "")
        self.handle = path.open("w", encoding="utf-8", newline="\n")
        self.count = 0
        if not self.lines:
            head = "[\n"
            if self.path:
                keys = self.path.split(".")
                head = '{"source": "' + feed.partner + '", "extract": "' + feed.dataset + '", '
                head += "".join(f'"{key}": {{' for key in keys[:-1]) + f'"{keys[-1]}": [\n'
            self.handle.write(head)

    def write(self, frame: pd.DataFrame, malformed: np.ndarray) -> None:
        records = frame.astype(object).where(frame.notna(), None).to_dict("records")
        text = [json.dumps(nest(record), ensure_ascii=False) for record in records]
        if self.lines:
            self.handle.write("".join(line + "\n" for line in text))
        elif text:
            self.handle.write((",\n" if self.count else "") + ",\n".join(text))
        self.count += len(text)

    def close(self) -> None:
        if not self.lines:
            depth = len(self.path.split(".")) - 1 if self.path else 0
            self.handle.write("\n]" + "}" * depth + ("}" if self.path else "") + "\n")
        self.handle.close()


def xml_escape(values: pd.Series) -> pd.Series:
    text = values.astype(str)
    # One scan to find out whether escaping is needed at all (it rarely is).
    if not text.str.contains("[&<>]", regex=True).any():
        return text
    return (text.str.replace("&", "&amp;", regex=False)
            .str.replace("<", "&lt;", regex=False).str.replace(">", "&gt;", regex=False))


class XmlWriter:
    """<Root><Record><Field>value</Field>…</Record>…</Root>; missing values omitted."""

    def __init__(self, feed: Feed, path: Path) -> None:
        self.record = str(feed.option("record_path"))
        self.root = str(feed.layout.get("root", "Extract"))
        self.handle = path.open("w", encoding="utf-8", newline="\n")
        self.handle.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<{self.root}>\n')

    def write(self, frame: pd.DataFrame, malformed: np.ndarray) -> None:
        body = pd.Series("", index=frame.index)
        for column in frame.columns:
            values = frame[column]
            element = "<" + column + ">" + xml_escape(values) + "</" + column + ">"
            body = body + element.where(values.notna(), "")
        self.handle.write("".join(f"  <{self.record}>" + body + f"</{self.record}>\n"))

    def close(self) -> None:
        self.handle.write(f"</{self.root}>\n")
        self.handle.close()


class ParquetFeedWriter:
    def __init__(self, feed: Feed, path: Path) -> None:
        self.path = path
        self.writer: pq.ParquetWriter | None = None

    def write(self, frame: pd.DataFrame, malformed: np.ndarray) -> None:
        table = pa.Table.from_pandas(frame, preserve_index=False)
        table = table.cast(pa.schema([
            pa.field(f.name, pa.string() if pa.types.is_null(f.type) else f.type)
            for f in table.schema])).replace_schema_metadata(None)
        if self.writer is None:
            self.writer = pq.ParquetWriter(str(self.path), table.schema)
        else:
            table = table.cast(self.writer.schema)
        self.writer.write_table(table)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
