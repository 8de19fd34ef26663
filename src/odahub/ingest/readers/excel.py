"""Excel workbooks through python-calamine (Rust): title rows, a chosen header row, merged
header cells filled across, multi-row headers joined."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
from python_calamine import CalamineError, CalamineWorkbook

from odahub.errors import DeliveryError
from odahub.ingest.readers.base import BATCH_ROWS, ROW, TableSource, fail, text_of
from odahub.ingest.spec import FeedSpec

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"


def open_excel(path: Path, spec: FeedSpec) -> TableSource:
    check_magic(path)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet = pick_sheet(workbook, spec.options.sheet, path)
        rows: list[list[Any]] = sheet.to_python(skip_empty_area=False)
    except DeliveryError:
        raise
    except (CalamineError, ValueError, OSError) as error:
        raise fail(f"the workbook cannot be read ({type(error).__name__}: {error}); is it "
                   "truncated or password-protected?", path) from error
    if not any(any(cell not in (None, "") for cell in row) for row in rows):
        raise fail("the sheet is empty", path)
    wanted = {spec.record_id, *spec.columns}
    header_at = best_header_row(rows, wanted, spec.options.header_row) - 1
    depth = spec.options.header_rows
    if header_at + depth > len(rows):
        raise fail(f"header_row {header_at + 1} is past the last row ({len(rows)})", path,
                   row=header_at + 1)
    columns = header_names(rows[header_at: header_at + depth])
    body = rows[header_at + depth:]
    first_row = header_at + depth + 1  # spreadsheet row numbers, as the sender sees them
    return TableSource(path=path, columns=columns, produce=batches(columns, body, first_row))


def check_magic(path: Path) -> None:
    with open(path, "rb") as handle:
        head = handle.read(8)
    if not head:
        raise fail("the file is empty", path)
    if not head.startswith((ZIP_MAGIC, OLE_MAGIC)):
        looks = "CSV/text" if all(32 <= b < 127 or b in (9, 10, 13) for b in head) else "unknown"
        raise fail(f"this is not an Excel workbook (its content looks like {looks}); send a "
                   "real .xlsx or change the spec's format", path)


def pick_sheet(workbook: CalamineWorkbook, sheet: str | int | None, path: Path) -> Any:
    names = list(workbook.sheet_names)
    if sheet is None:
        return workbook.get_sheet_by_index(0)
    if isinstance(sheet, int):
        if not 0 < sheet <= len(names):
            raise fail(f"sheet number {sheet} does not exist (the workbook has {len(names)})",
                       path)
        return workbook.get_sheet_by_index(sheet - 1)
    if sheet not in names:
        raise fail(f"no sheet named {sheet!r} (sheets: {', '.join(names)})", path)
    return workbook.get_sheet_by_name(sheet)


def best_header_row(rows: list[list[Any]], wanted: set[str], given: int | None) -> int:
    """The row naming most of the spec's columns, looked for at `header_row` and the two rows
    below it (a merged group header often sits above the names), else detected."""
    start = (given or 1) - 1
    window = range(start, min(start + 3, len(rows))) if given else range(min(50, len(rows)))
    scores = {i: len(wanted & {str(c).strip() for c in rows[i] if c not in (None, "")})
              for i in window}
    best = max(scores, key=lambda i: (scores[i], -i), default=start)
    if scores.get(best):
        return best + 1
    return given or detect_header_row(rows)


def detect_header_row(rows: list[list[Any]]) -> int:
    """Title rows hold one or two cells; the header is the first row as wide as the data."""
    width = max(sum(cell not in (None, "") for cell in row) for row in rows[:50])
    for index, row in enumerate(rows[:50]):
        filled = [cell for cell in row if cell not in (None, "")]
        if len(filled) >= max(2, width * 0.8) and all(isinstance(c, str) for c in filled):
            return index + 1
    return 1


def header_names(header: list[list[Any]]) -> list[str]:
    """Fill merged cells across (calamine leaves them empty) and join multi-row headers."""
    filled_rows = []
    for row in header:
        last = ""
        filled = []
        for cell in row:
            text = text_of(cell)
            last = text.strip() if text else last if len(header) > 1 else ""
            filled.append(last)
        filled_rows.append(filled)
    width = max(len(r) for r in filled_rows)
    names = []
    for index in range(width):
        parts = [r[index] for r in filled_rows if index < len(r) and r[index]]
        joined = " ".join(dict.fromkeys(parts))
        names.append(joined or f"column{index + 1}")
    return names


def batches(columns: list[str], body: list[list[Any]], first_row: int) -> Iterator[pa.RecordBatch]:
    width = len(columns)
    for start in range(0, len(body), BATCH_ROWS):
        chunk = body[start: start + BATCH_ROWS]
        keep = [i for i, row in enumerate(chunk) if any(c not in (None, "") for c in row)]
        arrays = [pa.array([text_of(chunk[i][c]) if c < len(chunk[i]) else None for i in keep],
                           pa.string()) for c in range(width)]
        rows = pa.array([first_row + start + i for i in keep], pa.int64())
        yield pa.RecordBatch.from_arrays([*arrays, rows], names=[*columns, ROW])
