"""Benchmark the synthetic county: persons per second and peak memory.

    python bench/synth.py [--persons 1000000] [--seed 1] [--out DIR]

Baseline in the same run: the population alone (households, persons, life events of every
chunk, no files), so the ratio shows what writing feeds and truth costs on top.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from odahub.synth import generate_county
from odahub.synth.geography import build_geography
from odahub.synth.params import CHUNK_HOUSEHOLDS
from odahub.synth.pools import build_pools
from odahub.synth.population import household_sizes
from odahub.synth.simulate import simulate_chunk


def peak_mib() -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def simulate_only(persons: int, seed: int) -> float:
    started = time.perf_counter()
    pools = build_pools(seed)
    sizes = household_sizes(np.random.default_rng([seed, 7]), persons)
    geo = build_geography(len(sizes), seed, pools)
    for chunk, start in enumerate(range(0, len(sizes), CHUNK_HOUSEHOLDS)):
        simulate_chunk(seed, chunk, start, sizes[start:start + CHUNK_HOUSEHOLDS], geo, pools)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--baseline-persons", type=int, default=100_000,
                        help="persons for the simulate-only baseline")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="odahub-synth-bench-"))
    try:
        started = time.perf_counter()
        manifest = generate_county(out, persons=args.persons, seed=args.seed)
        seconds = time.perf_counter() - started
        size = sum(f["bytes"] for f in manifest["files"])
        records = sum(d["records"] for d in manifest["datasets"])
        print(f"county: {args.persons:,} persons in {seconds:.1f} s = "
              f"{args.persons / seconds:,.0f} persons/s; {records:,} feed records "
              f"({records / seconds:,.0f} records/s); {size / 2**20:,.0f} MiB on disk")
        print(f"peak memory (max RSS): {peak_mib():,.0f} MiB")
        base_persons = min(args.baseline_persons, args.persons)
        baseline = simulate_only(base_persons, args.seed)
        base_rate = base_persons / baseline
        print(f"baseline (simulate only, {base_persons:,} persons): {base_rate:,.0f} persons/s; "
              f"full county runs at {args.persons / seconds / base_rate:.2f}x the baseline rate")
    finally:
        if args.out is None:
            shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
