"""Board pack as a PDF (reportlab), with charts drawn by matplotlib."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: render to PNG in memory

import matplotlib.pyplot as plt  # noqa: E402
from reportlab.lib import colors  # noqa: E402
from reportlab.lib.pagesizes import A4, landscape  # noqa: E402
from reportlab.lib.styles import getSampleStyleSheet  # noqa: E402
from reportlab.lib.units import cm  # noqa: E402
from reportlab.platypus import (  # noqa: E402
    Image,
    Paragraph,
    SimpleDocTemplate,
    Table,
    TableStyle,
)

from odahub.benefits.board_pack import (  # noqa: E402
    BENEFIT_HEADER,
    PORTFOLIO_HEADER,
    RISK_HEADER,
    SAVINGS_HEADER,
    BoardPack,
)


def write_pdf(pack: BoardPack, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    styles = getSampleStyleSheet()
    story: list[Any] = [Paragraph(pack.title, styles["Title"]),
                        Paragraph(f"Prepared {pack.prepared:%d %B %Y}", styles["Normal"])]
    if pack.savings:
        story += [Paragraph("Savings from findings", styles["Heading2"]),
                  Paragraph(f"Price year {pack.savings.price_year}; conventions "
                            f"{pack.savings.conventions_version}; {pack.savings.deflator}. "
                            f"{pack.attribution}", styles["Normal"]),
                  _table(SAVINGS_HEADER, pack.savings_rows()),
                  _chart_savings(pack)]
    if pack.portfolio:
        story += [Paragraph(f"Portfolio: {pack.portfolio.reserve} "
                            f"(£{pack.portfolio.amount:,.0f})", styles["Heading2"]),
                  _table(PORTFOLIO_HEADER, pack.portfolio_rows()), _chart_balance(pack)]
    if pack.risks:
        story += [Paragraph("Risk register", styles["Heading2"]),
                  _table(RISK_HEADER, pack.risk_rows())]
    if pack.benefits:
        story += [Paragraph("Benefits tracker", styles["Heading2"]),
                  _table(BENEFIT_HEADER, pack.benefit_rows())]
    SimpleDocTemplate(str(path), pagesize=landscape(A4), title=pack.title).build(story)
    return path


def _table(header: list[str], rows: list[list[Any]]) -> Table:
    cells = [header] + [[f"{v:,}" if isinstance(v, int) else str(v) for v in row]
                        for row in rows]
    table = Table(cells, repeatRows=1)
    table.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDEBF7")),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("FONTSIZE", (0, 0), (-1, -1), 7)]))
    return table


def _png(figure: Any) -> Image:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    buffer.seek(0)
    return Image(buffer, width=16 * cm, height=7 * cm)


def _chart_savings(pack: BoardPack) -> Any:
    assert pack.savings is not None
    names = [f.name.replace("_", " ") for f in pack.savings.findings]
    figure, axis = plt.subplots(figsize=(8, 3.5))
    positions = range(len(names))
    axis.bar([p - 0.2 for p in positions], [f.annual_cost for f in pack.savings.findings],
             width=0.4, label="Annual cost")
    axis.bar([p + 0.2 for p in positions],
             [f.potential_annual_saving for f in pack.savings.findings], width=0.4,
             label="Potential saving")
    axis.set_xticks(list(positions), names)
    axis.set_ylabel("£ per year")
    axis.legend()
    return _png(figure)


def _chart_balance(pack: BoardPack) -> Any:
    assert pack.portfolio is not None
    rows = pack.portfolio_rows()
    figure, axis = plt.subplots(figsize=(8, 3.5))
    axis.plot([str(r[0])[:24] for r in rows], [r[3] for r in rows], marker="o")
    axis.set_ylabel("Unallocated balance £")
    axis.tick_params(axis="x", labelrotation=20)
    return _png(figure)
