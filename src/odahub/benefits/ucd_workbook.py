"""Read a GMCA / New Economy Unit Cost Database workbook (v1.4 and later editions, same layout).

Values come from python-calamine (cached cell values, so uprated formulas need no recalculation).
Row levels come from the sheets' outline levels (headline 0, subsidiary 1, constituent 2), read
from the sheet XML because calamine does not expose them; the cost-code pattern is the fallback.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any
from xml.etree import ElementTree  # noqa: S405  (expat refuses entity expansion attacks)

from python_calamine import CalamineWorkbook

from odahub.benefits.conventions import Conventions
from odahub.benefits.deflators import DeflatorSeries
from odahub.benefits.unitcosts import LEVELS, Level, UnitCost, UnitCostBook, Value
from odahub.benefits.years import financial_year
from odahub.errors import ProblemCollector, SpecError

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
RELS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"
ATTRIBUTION = "Unit Cost Database {edition}, New Economy / GMCA, CC BY 4.0"
# Header labels (row 1 or row 2, lower case, prefix match) -> field.
HEADERS = {"outcome category": "outcome_category", "outcome detail": "outcome_detail",
           "cost code": "code", "cost / saving detail": "description", "unit": "unit",
           "original source": "source", "rag": "rag", "comment": "comment"}
VALUE_GROUPS = ("fiscal", "economic", "social")


def read_workbook(path: Path, conventions: Conventions, edition: str | None = None
                  ) -> UnitCostBook:
    workbook = CalamineWorkbook.from_path(str(path))
    edition = edition or edition_of(workbook) or path.stem
    deflator = read_deflator(workbook, edition)
    levels = outline_levels(path)
    problems, rows = ProblemCollector(), {}
    for sheet in workbook.sheet_names:
        cells = workbook.get_sheet_by_name(sheet).to_python()
        columns = header_columns(cells[:2])
        if columns is None:
            continue  # Introduction, Guidance, Lookups, update log
        for row in read_rows(sheet, cells, columns, levels.get(sheet, {}), conventions, problems):
            rows[row.code] = row
    problems.raise_if_any(SpecError, f"{path.name} is not a Unit Cost Database workbook")
    if not rows:
        raise SpecError(f"{path.name}: no sheet with a 'Cost code' header was found")
    return UnitCostBook(edition=edition, rows=rows, deflator=deflator,
                        attribution=ATTRIBUTION.format(edition=edition))


def edition_of(workbook: CalamineWorkbook) -> str | None:
    if "Introduction" not in workbook.sheet_names:
        return None
    title = str(workbook.get_sheet_by_name("Introduction").to_python()[0][0])
    match = re.search(r"v\.?\s*(\d+(?:\.\d+)*)", title)
    return f"v{match.group(1)}" if match else None


def header_columns(header: list[list[Any]]) -> dict[str, int] | None:
    """Locate columns by their labels, so a later edition may move or add columns."""
    if len(header) < 2:
        return None
    top = [str(c).strip().lower() for c in header[0]]
    columns: dict[str, int] = {}
    for index, label in enumerate(top):
        for prefix, name in HEADERS.items():
            if label.startswith(prefix) and name not in columns:
                columns[name] = index
        for group in VALUE_GROUPS:
            if label.startswith(group) and group not in columns:
                columns[group] = index  # estimated value; +1 price year; +2 uprated value
        if label.startswith("agency"):
            columns["agency"] = index
    return columns if "code" in columns and "fiscal" in columns else None


def read_rows(sheet: str, cells: list[list[Any]], columns: dict[str, int],
              levels: dict[int, int], conventions: Conventions, problems: ProblemCollector
              ) -> list[UnitCost]:
    found: list[UnitCost] = []
    parents: dict[int, str] = {}
    for number, cells_of_row in enumerate(cells[2:], start=3):
        def cell(name: str, offset: int = 0, row: list[Any] = cells_of_row) -> str:
            index = columns.get(name)
            return "" if index is None else str(row[index + offset]).strip()

        code = cell("code").replace(" ", "")
        if not code:
            continue
        level = level_of(code, levels.get(number))
        depth = LEVELS.index(level)
        parent = next((parents[d] for d in range(depth - 1, -1, -1) if d in parents), None)
        parents = {d: c for d, c in parents.items() if d < depth} | {depth: code}
        values = {g: value_of(cells_of_row, columns[g], sheet, number, problems)
                  for g in VALUE_GROUPS if g in columns}
        agency, agency_detail = cell("agency"), cell("agency", 1)
        comment = cell("comment")
        found.append(UnitCost(
            code=code, sheet=sheet, outcome_category=cell("outcome_category"),
            outcome_detail=cell("outcome_detail"),
            description=" ".join(cell("description").split()),
            unit=cell("unit"), agency=agency, agency_detail=agency_detail,
            fiscal=values.get("fiscal"), economic=values.get("economic"),
            social=values.get("social"), source=cell("source"), rag=cell("rag").upper(),
            comment=comment, level=level, parent_code=parent if depth else None, row=number,
            transfer_payment=is_transfer(code, agency, agency_detail, comment, conventions)))
    return found


def level_of(code: str, outline: int | None) -> Level:
    if outline is not None:
        return LEVELS[min(outline, 2)]
    parts = code.split(".")  # fallback: CR2.0 headline, CR2.1 subsidiary, CR2.0.1 constituent
    return "constituent" if len(parts) > 2 else "headline" if parts[-1] == "0" else "subsidiary"


def value_of(row: list[Any], index: int, sheet: str, number: int, problems: ProblemCollector
             ) -> Value | None:
    amount, year = row[index], str(row[index + 1]).strip()
    if amount in ("", None):
        return None
    if not isinstance(amount, int | float):
        problems.add(f"value {amount!r} is not a number", file=sheet, row=number)
        return None
    try:
        return Value(float(amount), financial_year(year))
    except SpecError:
        problems.add(f"price year {year!r} is not a financial year", file=sheet, row=number)
        return None


def is_transfer(code: str, agency: str, detail: str, comment: str, conventions: Conventions
                ) -> bool:
    text = comment.lower()
    return (code in conventions.transfer_codes
            or any(phrase in text for phrase in conventions.transfer_phrases)
            or (agency, detail) in conventions.transfer_agencies)


def read_deflator(workbook: CalamineWorkbook, edition: str) -> DeflatorSeries:
    """The GDP deflator index on the Lookups sheet (columns 'Year' and 'GDP cumulative')."""
    if "Lookups" not in workbook.sheet_names:
        raise SpecError("the workbook has no Lookups sheet with a GDP deflator index")
    cells = workbook.get_sheet_by_name("Lookups").to_python()
    for number, row in enumerate(cells):
        labels = [str(c).strip().lower() for c in row]
        if "year" in labels and any(lab.startswith("gdp cumulative") for lab in labels):
            year_col = labels.index("year")
            index_col = next(i for i, lab in enumerate(labels) if lab.startswith("gdp cumulative"))
            return _series(cells[number + 1:], year_col, index_col, edition, cells)
    raise SpecError("the Lookups sheet has no 'Year' / 'GDP cumulative' table")


def _series(rows: list[list[Any]], year_col: int, index_col: int, edition: str,
            all_cells: list[list[Any]]) -> DeflatorSeries:
    index: dict[str, float] = {}
    forecast: set[str] = set()
    for row in rows:
        year, value = str(row[year_col]).strip(), row[index_col]
        if not year or not isinstance(value, int | float):
            break
        index[financial_year(year)] = float(value)
        if year_col and str(row[year_col - 1]).strip().lower() == "f":
            forecast.add(financial_year(year))
    note = next((str(c) for r in all_cells[:6] for c in r if "GDP deflators" in str(c)), "")
    return DeflatorSeries(name="ucd-gdp-deflator", version=edition, index=index,
                          source=note.lstrip("• ").strip(), forecast_years=frozenset(forecast))


def outline_levels(path: Path) -> dict[str, dict[int, int]]:
    """Sheet name -> {row number: outline level}, from the xlsx parts."""
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        book = ElementTree.fromstring(archive.read("xl/workbook.xml"))  # noqa: S314
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))  # noqa: S314
        targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{PKG}Relationship")}
        levels: dict[str, dict[int, int]] = {}
        for sheet in book.iter(f"{MAIN}sheet"):
            target = targets.get(sheet.get(f"{RELS}id"), "")
            part = str(PurePosixPath("xl") / target) if not target.startswith("/") else target[1:]
            if part in names:
                levels[sheet.get("name", "")] = _row_levels(archive, part)
        return levels


def _row_levels(archive: zipfile.ZipFile, part: str) -> dict[int, int]:
    levels: dict[int, int] = {}
    with archive.open(part) as stream:
        for _event, element in ElementTree.iterparse(stream):  # noqa: S314
            if element.tag == f"{MAIN}row":
                levels[int(element.get("r", "0"))] = int(element.get("outlineLevel", "0"))
                element.clear()
    return levels
