"""Ingest benchmark: a large CSV through `odahub ingest` vs DuckDB's own CSV -> Parquet COPY.

    python bench/ingest.py [--gb 1.0] [--workdir /tmp/odahub-bench]

Prints rows/s, the ingest's peak memory (RSS of the process that ran it) and the ratio of
our throughput to DuckDB's COPY of the same file in the same run. Targets: ratio >= 0.5 and
peak memory < 2 GB. The ingest does more than the COPY: landing copy + sha256, validation,
standardisation, quarantine split, quality profile and encryption of the identified zone.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import shutil
import time
import warnings
from pathlib import Path

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
    """Write the CSV with DuckDB (fast) — a few bad dates and NHS numbers included."""
    rows = int(gigabytes * 1e9 / ROW_BYTES)
    duckdb.sql(f"""
        COPY (SELECT 'I' || i AS incident_ref,
          (['John','Jane','Siobhán','Mohammed','Zoë','Ann'])[1 + i % 6] AS forename,
          (['Smith','O''Brien','Hughes-Jones','Patel','Nowak'])[1 + i % 5] AS surname,
          CASE WHEN i % 997 = 0 THEN '31/02/1980'
               ELSE strftime(DATE '1940-01-01' + CAST(i % 25000 AS INTEGER), '%d/%m/%Y') END
            AS dob,
          (['M','F','male','female','U'])[1 + i % 5] AS sex,
          (['cb2 1tn','SW1A1AA','CB21TN','ab1 2cd','bad'])[1 + i % 5] AS postcode,
          CASE WHEN i % 3 = 0 THEN '943 476 5919' ELSE '9434765918' END AS nhs,
          strftime(DATE '2015-01-01' + CAST(i % 3000 AS INTEGER), '%d/%m/%Y') AS offence_date,
          (['charged','nfa','caution'])[1 + i % 3] AS outcome,
          'Officer attended; subject spoken to at the address, advice given.' AS notes
        FROM range({rows}) t(i)) TO '{path}' (HEADER, DELIMITER ',')""")
    return rows


def baseline(path: Path, out: Path) -> float:
    duckdb.sql("SET enable_progress_bar = false")
    started = time.perf_counter()
    duckdb.sql(f"COPY (SELECT * FROM read_csv('{path}', all_varchar = true)) TO '{out}' "
               "(FORMAT parquet, COMPRESSION zstd)")
    return time.perf_counter() - started


def run_ingest(home: str, csv: str, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    warnings.simplefilter("ignore")
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
    started = time.perf_counter()
    result = ingest_files(hub, "bench_incidents", [Path(csv)], created_by="bench")
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    queue.put((seconds, peak, result.rows_read, result.rows_accepted, result.rows_quarantined))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gb", type=float, default=1.0, help="CSV size in GB (default 1.0)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/odahub-bench"))
    args = parser.parse_args()
    shutil.rmtree(args.workdir, ignore_errors=True)
    args.workdir.mkdir(parents=True)
    csv = args.workdir / "incidents.csv"
    rows = generate(csv, args.gb)
    size = csv.stat().st_size
    print(f"CSV: {size / 1e9:.2f} GB, {rows:,} rows")

    duck_seconds = baseline(csv, args.workdir / "baseline.parquet")
    print(f"DuckDB COPY CSV->Parquet: {duck_seconds:.1f} s, {rows / duck_seconds:,.0f} rows/s")

    queue: multiprocessing.Queue = multiprocessing.get_context("spawn").Queue()  # type: ignore[type-arg]
    child = multiprocessing.get_context("spawn").Process(
        target=run_ingest, args=(str(args.workdir / "home"), str(csv), queue))
    child.start()
    seconds, peak, read, accepted, quarantined = queue.get()
    child.join()
    print(f"odahub ingest: {seconds:.1f} s, {read / seconds:,.0f} rows/s "
          f"(read {read:,} = accepted {accepted:,} + quarantined {quarantined:,})")
    print(f"peak memory of the ingest process: {peak / 2**30:.2f} GB (target < 2 GB)")
    ratio = duck_seconds / seconds
    print(f"ratio to DuckDB COPY (throughput): {ratio:.2f} (target >= 0.5)")
    assert read == accepted + quarantined == rows, "every row must be counted exactly once"
    shutil.rmtree(args.workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
