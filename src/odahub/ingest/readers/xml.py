"""XML streamed with lxml's iterparse: one record per repeated element, cleared as we go.

Record element: the last part of `record_path` ("Incidents/Incident" -> Incident), else the
tag of the root's first child. Fields: the record's attributes and its child elements' text.
Entities are not resolved and nothing is fetched from the network.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
from lxml import etree

from odahub.ingest.readers.base import BATCH_ROWS, ROW, TableSource, fail

PARSER_ARGS: dict[str, Any] = {"resolve_entities": False, "no_network": True,
                               "huge_tree": False, "remove_comments": True}


def local(tag: object) -> str:
    text = str(tag)
    return text.rsplit("}", 1)[-1]


def record_tag(path: Path, record_path: str | None) -> str:
    if record_path:
        return record_path.replace(".", "/").rstrip("/").rsplit("/", 1)[-1]
    depth = 0
    for event, element in _events(path, ("start", "end")):
        if event == "start":
            depth += 1
            if depth == 2:
                return local(element.tag)
        else:
            depth -= 1
    raise fail("the XML document has no records under its root element", path)


def _events(path: Path, events: tuple[str, ...]) -> Iterator[tuple[str, Any]]:
    try:
        yield from etree.iterparse(str(path), events=events, **PARSER_ARGS)
    except etree.XMLSyntaxError as error:
        line = error.lineno if hasattr(error, "lineno") else None
        raise fail(f"malformed XML: {error.msg}", path, line=line) from error


def fields_of(element: Any) -> dict[str, str | None]:
    values: dict[str, str | None] = {local(k): v for k, v in element.attrib.items()}
    for child in element:
        if not isinstance(child.tag, str):
            continue
        text = "".join(child.itertext()).strip()
        values[local(child.tag)] = text or None
    return values


def open_xml(path: Path, record_path: str | None) -> TableSource:
    if path.stat().st_size == 0:
        raise fail("the file is empty", path)
    tag = record_tag(path, record_path)
    columns = _columns(path, tag)
    return TableSource(path=path, columns=columns, produce=_batches(path, tag, columns))


def _records(path: Path, tag: str) -> Iterator[tuple[int, dict[str, str | None]]]:
    for _event, element in _events(path, ("end",)):
        if local(element.tag) != tag:
            continue
        yield element.sourceline or 0, fields_of(element)
        element.clear(keep_tail=False)
        parent = element.getparent()
        while parent is not None and element.getprevious() is not None:
            del parent[0]  # free finished siblings: constant memory on a long document


def _columns(path: Path, tag: str, sample: int = 2000) -> list[str]:
    seen: dict[str, None] = {}
    for count, (_line, record) in enumerate(_records(path, tag)):
        seen.update(dict.fromkeys(record))
        if count >= sample:
            break
    if not seen:
        raise fail(f"no <{tag}> records found (check options.record_path)", path)
    return list(seen)


def _batches(path: Path, tag: str, columns: list[str]) -> Iterator[pa.RecordBatch]:
    buffer: list[dict[str, str | None]] = []
    lines: list[int] = []
    for line, record in _records(path, tag):
        buffer.append(record)
        lines.append(line)
        if len(buffer) >= BATCH_ROWS:
            yield _batch(buffer, lines, columns)
            buffer, lines = [], []
    if buffer:
        yield _batch(buffer, lines, columns)


def _batch(records: list[dict[str, str | None]], lines: list[int],
           columns: list[str]) -> pa.RecordBatch:
    arrays = [pa.array([r.get(c) for r in records], pa.string()) for c in columns]
    # Row numbers of XML records are the line where each record element starts.
    return pa.RecordBatch.from_arrays([*arrays, pa.array(lines, pa.int64())],
                                      names=[*columns, ROW])
