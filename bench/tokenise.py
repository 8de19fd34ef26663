"""Tokenising throughput against DuckDB's plain sha256 over the same column, in the same run.

    /work/venv/bin/python bench/tokenise.py [--rows 5000000] [--repeat 3]

Prints tokens/s of odahub's keyed HMAC-SHA256 (compiled kernel), of the same HMAC composed in
DuckDB SQL (the engine-neutral reference), and of unkeyed `sha256` (the baseline), with ratios.
The column is NHS-number-like 10-digit strings, all distinct (the worst case: no repetition).
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable

import duckdb
import pyarrow as pa

from odahub.privacy.hmac_kernel import backend
from odahub.privacy.tokens import hmac_hex, hmac_sql, key_pads


def best_of(repeat: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    connection = duckdb.connect()
    column = connection.sql(
        f"SELECT lpad(CAST(9000000000 + i AS VARCHAR), 10, '0') AS v FROM range({args.rows}) t(i)"
    ).to_arrow_table()
    values = column["v"].combine_chunks().cast(pa.string())
    key = os.urandom(32)
    connection.register("col", column)
    connection.register("_hmac_key", key_pads(key))
    hmac_hex(values.slice(0, 10), key)  # compile (or load the cached kernel) outside the timing

    sha = best_of(args.repeat, lambda: connection.execute(
        "CREATE OR REPLACE TEMP TABLE out_sha AS SELECT sha256(v) AS t FROM col"))
    kernel = best_of(args.repeat, lambda: hmac_hex(values, key))
    sql = best_of(1, lambda: connection.execute(
        f"CREATE OR REPLACE TEMP TABLE out_hmac AS SELECT {hmac_sql('v')} AS t FROM col"))
    same = connection.execute("SELECT count(*) FROM out_hmac").fetchall()[0][0] == args.rows
    sample = hmac_hex(values.slice(0, 1000), key).to_pylist()
    agree = sample == [r[0] for r in connection.execute(
        "SELECT t FROM out_hmac LIMIT 1000").fetchall()]

    rows = args.rows
    print(f"rows: {rows:,}  kernel backend: {backend()}  threads: duckdb default")
    print(f"duckdb sha256 (unkeyed baseline): {rows / sha:>14,.0f} values/s")
    print(f"odahub HMAC-SHA256 tokens:        {rows / kernel:>14,.0f} tokens/s")
    print(f"HMAC composed in DuckDB SQL:      {rows / sql:>14,.0f} tokens/s")
    print(f"ratio tokens/s ÷ sha256/s:        {sha / kernel:.2f}  (target >= 0.5)")
    print(f"ratio SQL HMAC ÷ sha256:          {sha / sql:.2f}")
    print(f"kernel and SQL agree on sample:   {agree and same}")


if __name__ == "__main__":
    main()
