"""Ingest benchmark: a large CSV through `odahub ingest` vs DuckDB's own CSV -> Parquet COPY.

    python bench/ingest.py [--gb 1.0] [--workdir /tmp/odahub-bench] [--plain] [--reuse]

Prints rows/s, the ingest's peak memory (RSS of the process that ran it) and the ratio of
our throughput to DuckDB's COPY of the same file in the same run. Targets: ratio >= 0.5 and
peak memory < 2 GB. The ingest does more than the COPY: landing copy + sha256, validation,
standardisation, quarantine split, quality profile and encryption of the identified zone.

Also printed: the load average, and the ratio of CPU seconds (COPY's over the ingest's), which
moves less than wall time when other work shares the machine. `--plain` runs the ingest a
second time with sealed zones written unencrypted (measurement only, never a hub setting) to
show what Parquet modular encryption costs. `--reuse` keeps the generated CSV in the workdir
and uses it again on the next run of the same size (repeated measurements, less disk churn).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import shutil
import time
import warnings
from pathlib import Path
from typing import Any

import duckdb

SPEC = """\
dataset: bench_incidents
partner: police
format: csv
record_id: incident_ref
event_type: crime
columns:
  forename: {role: first_name}
  surname: {role: last_name}
  dob: {role: date_of_birth, format: "%d/%m/%Y"}
  sex: {role: sex}
  postcode: {role: postcode}
  nhs: {role: nhs_number}
  offence_date: {role: event_date, format: "%d/%m/%Y"}
  outcome: {attribute: outcome}
  notes: {role: free_text}
"""
ROW_BYTES = 140  # a little under the real average, so the file is at least --gb


def generate(path: Path, gigabytes: float) -> int:
    """Write the CSV with DuckDB (fast): 0.1% impossible dates (quarantined), 1% NHS numbers
    failing the check digit and 20% unusable postcodes (nulled and flagged), a third of NHS
    numbers spaced, mixed sex codes, accented and hyphenated names."""
    rows = int(gigabytes * 1e9 / ROW_BYTES)
    duckdb.sql("SET enable_progress_bar = false")
    duckdb.sql(f"""
        COPY (SELECT 'I' || i AS incident_ref,
          (['John','Jane','Siobhán','Mohammed','Zoë','Ann'])[1 + i % 6] AS forename,
          (['Smith','O''Brien','Hughes-Jones','Patel','Nowak'])[1 + i % 5] AS surname,
          CASE WHEN i % 997 = 0 THEN '31/02/1980'
               ELSE strftime(DATE '1940-01-01' + CAST(i % 25000 AS INTEGER), '%d/%m/%Y') END
            AS dob,
          (['M','F','male','female','U'])[1 + i % 5] AS sex,
          (['cb2 1tn','SW1A1AA','CB21TN','ab1 2cd','bad'])[1 + i % 5] AS postcode,
          CASE WHEN i % 101 = 0 THEN '9434765918'   -- fails the check digit
               WHEN i % 3 = 0 THEN '943 476 5919' ELSE '9434765919' END AS nhs,
          strftime(DATE '2015-01-01' + CAST(i % 3000 AS INTEGER), '%d/%m/%Y') AS offence_date,
          (['charged','nfa','caution'])[1 + i % 3] AS outcome,
          'Officer attended; subject spoken to at the address, advice given.' AS notes
        FROM range({rows}) t(i)) TO '{path}' (HEADER, DELIMITER ',')""")
    return rows


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def baseline(path: Path, out: Path) -> tuple[float, float]:
    duckdb.sql("SET enable_progress_bar = false")
    started, cpu = time.perf_counter(), cpu_seconds()
    duckdb.sql(f"COPY (SELECT * FROM read_csv('{path}', all_varchar = true)) TO '{out}' "
               "(FORMAT parquet, COMPRESSION zstd)")
    return time.perf_counter() - started, cpu_seconds() - cpu


def run_ingest(home: str, csv: str, plain: bool,
               queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    warnings.simplefilter("ignore")
    if plain:  # measurement only: sealed zones written without encryption
        from odahub.lake.store import Lake

        Lake._key_for = lambda self, zone: None  # type: ignore[method-assign]
    from odahub.config import Settings, default_database_url
    from odahub.hub import Hub
    from odahub.ingest.deliver import ingest_files
    from odahub.ingest.feeds import add_feed
    from odahub.ingest.spec import parse_spec
    from odahub.privacy.keystore import KeyStore

    settings = Settings(home=Path(home), database_url=default_database_url(Path(home)))
    KeyStore.open(settings, create=True)
    hub = Hub(settings=settings, key_provider_factory=KeyStore.open)
    hub.initialise()
    add_feed(hub, parse_spec(SPEC))
    started, cpu = time.perf_counter(), cpu_seconds()
    result = ingest_files(hub, "bench_incidents", [Path(csv)], created_by="bench")
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    queue.put((seconds, cpu, peak, result.rows_read, result.rows_accepted,
               result.rows_quarantined))


def ingest_in_child(workdir: Path, csv: Path, plain: bool) -> tuple[Any, ...]:
    """A fresh process per ingest, so its peak memory is the ingest's own."""
    context = multiprocessing.get_context("spawn")
    queue: multiprocessing.Queue = context.Queue()  # type: ignore[type-arg]
    home = workdir / ("home-plain" if plain else "home")
    child = context.Process(target=run_ingest, args=(str(home), str(csv), plain, queue))
    child.start()
    figures: tuple[Any, ...] = queue.get()
    child.join()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gb", type=float, default=1.0, help="CSV size in GB (default 1.0)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/odahub-bench"))
    parser.add_argument("--plain", action="store_true",
                        help="also time the ingest with encryption off (measurement only)")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the CSV and reuse one generated at the same size")
    args = parser.parse_args()
    csv, rows = prepare(args.workdir, args.gb, args.reuse)
    size = csv.stat().st_size
    print(f"CSV: {size / 1e9:.2f} GB, {rows:,} rows")

    duck_seconds, duck_cpu = baseline(csv, args.workdir / "baseline.parquet")
    print(f"DuckDB COPY CSV->Parquet: {duck_seconds:.1f} s, {rows / duck_seconds:,.0f} rows/s "
          f"({duck_cpu:.1f} CPU s)")

    seconds, cpu, peak, read, accepted, quarantined = ingest_in_child(args.workdir, csv, False)
    print(f"odahub ingest: {seconds:.1f} s, {read / seconds:,.0f} rows/s ({cpu:.1f} CPU s) "
          f"(read {read:,} = accepted {accepted:,} + quarantined {quarantined:,})")
    print(f"peak memory of the ingest process: {peak / 2**30:.2f} GB (target < 2 GB)")
    ratio = duck_seconds / seconds
    print(f"ratio to DuckDB COPY (throughput): {ratio:.2f} (target >= 0.5); "
          f"CPU-time ratio {duck_cpu / cpu:.2f}")
    assert read == accepted + quarantined == rows, "every row must be counted exactly once"
    if args.plain:
        plain_seconds, plain_cpu, *_ = ingest_in_child(args.workdir, csv, True)
        print(f"same ingest without encryption: {plain_seconds:.1f} s ({plain_cpu:.1f} CPU s), "
              f"ratio {duck_seconds / plain_seconds:.2f}; CPU-time ratio "
              f"{duck_cpu / plain_cpu:.2f}")
    print("load average (1, 5, 15 min): " + ", ".join(f"{v:.2f}" for v in os.getloadavg()))
    clean(args.workdir, keep_csv=args.reuse)


def clean(workdir: Path, keep_csv: bool) -> None:
    if not keep_csv:
        shutil.rmtree(workdir, ignore_errors=True)
        return
    for leftover in workdir.iterdir():
        if not leftover.name.startswith("incidents."):
            shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()


def prepare(workdir: Path, gigabytes: float, reuse: bool) -> tuple[Path, int]:
    """The CSV and its row count: generated afresh, or the kept one if `reuse` and same size."""
    csv, rows_file = workdir / "incidents.csv", workdir / "incidents.rows"
    wanted = int(gigabytes * 1e9 / ROW_BYTES)
    if reuse and csv.exists() and rows_file.exists() and int(rows_file.read_text()) == wanted:
        clean(workdir, keep_csv=True)  # a home left by an interrupted run would be a duplicate
        return csv, wanted
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    rows = generate(csv, gigabytes)
    rows_file.write_text(str(rows))
    return csv, rows


if __name__ == "__main__":
    main()
