"""Board pack as an Excel workbook (xlsxwriter), with native charts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import xlsxwriter

from odahub.benefits.board_pack import (
    BENEFIT_HEADER,
    PORTFOLIO_HEADER,
    RISK_HEADER,
    SAVINGS_HEADER,
    BoardPack,
)


def write_xlsx(pack: BoardPack, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(str(path))
    try:
        formats = {"head": book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1}),
                   "money": book.add_format({"num_format": "£#,##0"}),
                   "title": book.add_format({"bold": True, "font_size": 14})}
        summary = book.add_worksheet("Summary")
        summary.write(0, 0, pack.title, formats["title"])
        summary.write(1, 0, f"Prepared {pack.prepared:%d %B %Y}")
        if pack.savings:
            summary.write(3, 0, f"Price year {pack.savings.price_year}; conventions "
                                f"{pack.savings.conventions_version}; {pack.savings.deflator}")
            summary.write(4, 0, pack.attribution)
        _sheet(book, "Savings", SAVINGS_HEADER, pack.savings_rows(), formats, money_from=4)
        _sheet(book, "Portfolio", PORTFOLIO_HEADER, pack.portfolio_rows(), formats, money_from=1)
        _sheet(book, "Risks", RISK_HEADER, pack.risk_rows(), formats)
        _sheet(book, "Benefits", BENEFIT_HEADER, pack.benefit_rows(), formats)
        _savings_chart(book, len(pack.savings_rows()))
        _balance_chart(book, len(pack.portfolio_rows()))
    finally:
        book.close()
    return path


def _sheet(book: Any, name: str, header: list[str], rows: list[list[Any]],
           formats: dict[str, Any], money_from: int | None = None) -> None:
    sheet = book.add_worksheet(name)
    sheet.write_row(0, 0, header, formats["head"])
    for number, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            money = money_from is not None and column >= money_from and isinstance(value, int)
            sheet.write(number, column, value, formats["money"] if money else None)
    sheet.set_column(0, 0, 48)
    sheet.set_column(1, len(header), 16)


def _savings_chart(book: Any, rows: int) -> None:
    if not rows:
        return
    chart = book.add_chart({"type": "column"})
    for column, colour in ((5, "#4472C4"), (6, "#70AD47")):
        chart.add_series({"name": ["Savings", 0, column], "categories": ["Savings", 1, 0, rows, 0],
                          "values": ["Savings", 1, column, rows, column],
                          "fill": {"color": colour}})
    chart.set_title({"name": "Annual cost to public services and potential saving"})
    chart.set_y_axis({"num_format": "£#,##0"})
    book.get_worksheet_by_name("Savings").insert_chart(rows + 3, 0, chart)


def _balance_chart(book: Any, rows: int) -> None:
    if not rows:
        return
    chart = book.add_chart({"type": "line"})
    chart.add_series({"name": "Unallocated balance", "categories": ["Portfolio", 1, 0, rows, 0],
                      "values": ["Portfolio", 1, 3, rows, 3], "marker": {"type": "circle"}})
    chart.set_title({"name": "Reserve balance"})
    chart.set_y_axis({"num_format": "£#,##0"})
    book.get_worksheet_by_name("Portfolio").insert_chart(rows + 3, 0, chart)
