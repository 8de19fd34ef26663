"""Console output of the ingest commands: progress with rows/s, summary and report tables."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.table import Table

from odahub.cli_support import console, progress
from odahub.ingest.deliver import DeliveryResult
from odahub.ingest.process import OnRows


@contextmanager
def row_progress(label: str) -> Iterator[OnRows]:
    """A Rich progress bar per file showing rows read and rows per second."""
    with progress() as bar:
        tasks: dict[str, tuple[Any, float, int]] = {}

        def on_rows(name: str, rows: int) -> None:
            if name not in tasks:
                tasks[name] = (bar.add_task(f"{label} {name}", total=None, rate=""),
                               time.perf_counter(), 0)
            task, started, done = tasks[name]
            done += rows
            tasks[name] = (task, started, done)
            rate = done / max(time.perf_counter() - started, 1e-6)
            bar.update(task, completed=done, rate=f"{rate:,.0f} rows/s")

        yield on_rows


def summary_table(results: list[DeliveryResult]) -> Table:
    table = Table(title="ingest summary")
    for name in ("dataset", "file", "version", "read", "accepted", "quarantined", "rows/s"):
        table.add_column(name, justify="right" if name in ("read", "accepted", "quarantined",
                                                           "rows/s", "version") else "left")
    for result in results:
        rate = result.rows_read / result.seconds if result.seconds else 0
        version = (f"= v{result.duplicate_of} (skipped)" if result.duplicate_of is not None
                   else f"v{result.version}")
        files = result.files or []
        if not files:
            table.add_row(result.dataset, "-", version, "-", "-", "-", "-")
        for index, item in enumerate(files):
            table.add_row(result.dataset if index == 0 else "", item.file,
                          version if index == 0 else "", f"{item.rows_read:,}",
                          f"{item.rows_accepted:,}", f"{item.rows_quarantined:,}",
                          f"{rate:,.0f}" if index == 0 else "")
    return table


def versions_table(dataset: str, rows: list[dict[str, Any]]) -> Table:
    table = Table(title=f"versions of {dataset}")
    for name in ("version", "created_at", "created_by", "spec", "read", "accepted",
                 "quarantined", "sha256"):
        table.add_column(name)
    for row in rows:
        table.add_row(str(row["version"]), str(row["created_at"])[:19], row["created_by"] or "",
                      str(row["spec_version"]), f"{row['rows_read']:,}",
                      f"{row['rows_accepted']:,}", f"{row['rows_quarantined']:,}",
                      row["sha256"][:16] if row["sha256"] else "")
    return table


def quality_tables(dataset: str, version: int, report: dict[str, Any]) -> list[Table]:
    head = Table(title=f"quality of {dataset} v{version}")
    head.add_column("measure")
    head.add_column("value", justify="right")
    head.add_row("rows accepted", f"{report.get('rows_accepted', 0):,}")
    head.add_row("duplicate record ids", f"{report.get('duplicate_record_ids', 0):,}")
    if report.get("row_change") is not None:
        head.add_row("row change vs previous", f"{report['row_change']:+.1%}")
    for column, count in (report.get("quarantined_by_column") or {}).items():
        head.add_row(f"quarantined for {column}", f"{count:,}")
    columns = Table(title="columns")
    for name in ("column", "completeness", "validity", "flagged", "drift (PSI)"):
        columns.add_column(name, justify="left" if name == "column" else "right")
    drift = report.get("drift") or {}
    for name, stats in (report.get("columns") or {}).items():
        shift = drift.get(name, {})
        columns.add_row(name, _pct(stats.get("completeness")), _pct(stats.get("validity")),
                        f"{stats.get('flagged', 0):,}",
                        f"{shift['psi']:.3f} {shift['level']}" if "psi" in shift else "")
    return [head, columns]


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:.1%}"


def show(*tables: Table) -> None:
    for table in tables:
        console.print(table)
