"""Linkage at scale: N synthetic person records (default 1,000,000) linked on this machine.

Prints wall time, peak memory, candidate pairs and F1 against truth for odahub's full link, and
the ratio to a plain Splink script with the same settings (comparisons, blocking rules, training
route, threshold) run in the same process on the same prepared input. Then: incremental linking
of a 1% delivery against the linked records versus a full re-link (speed-up, same links), and the
median latency of matching one new record against the linked nominals.

    python bench/link.py [--records 1000000] [--seed 5] [--json] [--skip-plain]

The records are generated directly (not through the synthetic county, which takes minutes at
this size): persons living in households (shared surname, address and postcode), each with one
record or more across three partner datasets with different roles, every record corrupted at
realistic rates (typos, nicknames, transposed dates, moves, missing values). They enter the hub
as identified-zone tables with canonical roles, so odahub links them through the same code path
as real data. Deterministic by seed.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import open_hub, print_report  # noqa: E402
from odahub.hub import Hub  # noqa: E402
from odahub.synth.pools import build_pools  # noqa: E402

LETTERS = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
NICKNAMES = {"WILLIAM": "BILL", "ROBERT": "BOB", "ELIZABETH": "LIZ", "MARGARET": "MAGGIE",
             "JAMES": "JIM", "THOMAS": "TOM", "RICHARD": "DICK", "CATHERINE": "KATE",
             "MICHAEL": "MIKE", "JOSEPH": "JOE", "DANIEL": "DAN", "SAMUEL": "SAM",
             "REBECCA": "BECKY", "JENNIFER": "JENNY", "ALEXANDER": "ALEX", "CHARLOTTE": "LOTTIE",
             "ELEANOR": "ELLIE", "BENJAMIN": "BEN", "MATTHEW": "MATT", "CHRISTOPHER": "CHRIS"}
# dataset → roles it carries (besides names, DOB, sex, postcode, address)
DATASETS = {"health": ("nhs_number",), "council": ("phone",), "school": ()}


# -- generation --------------------------------------------------------------------------------
def _typo(rng: np.random.Generator, values: np.ndarray) -> np.ndarray:
    """One keyboard-style edit per value (substitute, delete, insert, swap neighbours)."""
    n = len(values)
    kinds, letters, spots = rng.integers(0, 4, n), LETTERS[rng.integers(0, 26, n)], rng.random(n)
    out = []
    for value, kind, letter, spot in zip(values.tolist(), kinds.tolist(), letters.tolist(),
                                         spots.tolist(), strict=True):
        if len(value) < 3:
            out.append(value + letter)
            continue
        i = 1 + int(spot * (len(value) - 2))
        if kind == 0:
            value = value[:i] + letter + value[i + 1:]
        elif kind == 1:
            value = value[:i] + value[i + 1:]
        elif kind == 2:
            value = value[:i] + letter + value[i:]
        else:
            value = value[:i - 1] + value[i] + value[i - 1] + value[i + 1:]
        out.append(value)
    return np.asarray(out, dtype=object)


def _postcode(index: np.ndarray) -> np.ndarray:
    district = 1 + index // 4000
    sector = (index // 400) % 10
    unit = index % 400
    letters = LETTERS[unit // 26 % 26].astype(object) + LETTERS[unit % 26].astype(object)
    return ("OD" + district.astype(str).astype(object) + " " + sector.astype(str).astype(object)
            + letters)


def population(persons: int, seed: int) -> dict[str, np.ndarray]:
    """Persons in households: household members share surname, address and postcode."""
    rng = np.random.default_rng(seed)
    pools = build_pools(seed)
    sizes = rng.choice([1, 2, 3, 4, 5], size=persons, p=[0.3, 0.3, 0.18, 0.15, 0.07])
    household = np.repeat(np.arange(len(sizes)), sizes)[:persons]
    households = int(household.max()) + 1
    surname = np.asarray([s.upper() for s in pools.draw_surname(rng, households)], dtype=object)
    street = rng.integers(0, len(pools.streets), households)
    number = rng.integers(1, 200, households)
    streets = np.asarray([s.upper() for s in pools.streets], dtype=object)
    address = number.astype(str).astype(object) + " " + streets[street]
    postcode = _postcode(street * 37 + number // 15)
    female = rng.random(persons) < 0.51
    first = np.asarray([f.upper() for f in pools.draw_first(rng, female)], dtype=object)
    dob = np.datetime64("1930-01-01") + rng.integers(0, 34_000, persons).astype("timedelta64[D]")
    nhs = (4_000_000_000 + rng.permutation(persons * 3)[:persons]).astype(str).astype(object)
    phone = ("07" + (100_000_000 + rng.permutation(persons * 5)[:persons]).astype(str)
             ).astype(object)
    return {"person": np.arange(persons), "first_name": first,
            "last_name": surname[household], "date_of_birth": dob,
            "sex": np.where(female, "F", "M").astype(object),
            "address": address[household], "postcode": postcode[household],
            "nhs_number": nhs, "phone": phone}


def records(total: int, seed: int) -> tuple[dict[str, pa.Table], pa.Table]:
    """`total` records over three datasets, and the truth (dataset, record_id, person_id)."""
    rng = np.random.default_rng(seed + 1)
    persons = int(total / 1.7)
    people = population(persons, seed)
    # every person once, then repeat records of random persons (some many times)
    who = np.concatenate([np.arange(persons),
                          rng.integers(0, persons, total - persons)])
    who = np.sort(who[:total])
    n = len(who)
    values = {k: v[who] for k, v in people.items() if k != "person"}
    values["first_name"] = values["first_name"].copy()
    for column, rate in (("first_name", 0.05), ("last_name", 0.04), ("address", 0.03)):
        hit = np.flatnonzero(rng.random(n) < rate)
        values[column][hit] = _typo(rng, values[column][hit])
    nick = np.flatnonzero(rng.random(n) < 0.05)
    values["first_name"][nick] = np.asarray(
        [NICKNAMES.get(v, v) for v in values["first_name"][nick].tolist()], dtype=object)
    dob = values["date_of_birth"].copy()
    swap = rng.random(n) < 0.02
    days = dob.astype("datetime64[D]")
    months = days.astype("datetime64[M]")
    day = (days - months).astype(int) + 1
    month = months.astype(int) % 12 + 1
    year = months.astype(int) // 12 + 1970
    ok = swap & (day <= 12) & (day != month)
    swapped = np.array([f"{y:04d}-{d:02d}-{m:02d}" for y, m, d in
                        zip(year[ok], month[ok], day[ok], strict=True)], dtype="datetime64[D]")
    dob[ok] = swapped
    shift = rng.random(n) < 0.02
    dob[shift] = dob[shift] + rng.choice([-1, 1, -10, 10, 365, -365], shift.sum()).astype(
        "timedelta64[D]")
    values["date_of_birth"] = dob
    moved = np.flatnonzero(rng.random(n) < 0.06)   # an older or newer address
    other = rng.integers(0, persons, len(moved))
    values["address"][moved] = people["address"][other]
    values["postcode"][moved] = people["postcode"][other]
    dataset = np.asarray(list(DATASETS))[rng.integers(0, len(DATASETS), n)]
    for column, rate in (("sex", 0.02), ("postcode", 0.05), ("address", 0.1),
                         ("date_of_birth", 0.01), ("nhs_number", 0.25), ("phone", 0.4)):
        gone = rng.random(n) < rate
        values[column] = np.where(gone, None, values[column]) if column != "date_of_birth" \
            else values[column]
        if column == "date_of_birth":
            values["dob_missing"] = gone
    tables: dict[str, pa.Table] = {}
    truth: list[pa.Table] = []
    for name, extra in DATASETS.items():
        rows = np.flatnonzero(dataset == name)
        record_id = np.char.add(f"{name[0].upper()}", (rows + 1).astype(str)).astype(object)
        dob_values = pa.array(values["date_of_birth"][rows], pa.date32())
        dob_values = pc.if_else(pa.array(values["dob_missing"][rows]),
                                pa.nulls(len(rows), pa.date32()), dob_values)
        columns: dict[str, Any] = {
            "dataset": pa.array([name] * len(rows), pa.string()),
            "record_id": pa.array(record_id, pa.string()),
            "source_file": pa.array([f"{name}.csv"] * len(rows), pa.string()),
            "source_row": pa.array(np.arange(1, len(rows) + 1), pa.int64()),
            "first_name": pa.array(values["first_name"][rows], pa.string()),
            "last_name": pa.array(values["last_name"][rows], pa.string()),
            "date_of_birth": dob_values,
            "sex": pa.array(values["sex"][rows], pa.string()),
            "postcode": pa.array(values["postcode"][rows], pa.string()),
            "address": pa.array(values["address"][rows], pa.string()),
        }
        for role in extra:
            columns[role] = pa.array(values[role][rows], pa.string())
        tables[name] = pa.table(columns)
        truth.append(pa.table({"dataset": columns["dataset"], "record_id": columns["record_id"],
                               "person_id": pa.array(who[rows].astype(str), pa.string())}))
    return tables, pa.concat_tables(truth)


def split_delivery(tables: dict[str, pa.Table], truth: pa.Table, share: float, seed: int,
                   ) -> tuple[dict[str, pa.Table], pa.Table]:
    """Hold back `share` of the council records as a later delivery (a new dataset)."""
    council = tables["council"]
    rng = np.random.default_rng(seed + 2)
    count = int(round(share * sum(t.num_rows for t in tables.values())))
    later = np.zeros(council.num_rows, dtype=bool)
    later[rng.choice(council.num_rows, count, replace=False)] = True
    tables = dict(tables)
    tables["council"] = council.filter(pa.array(~later))
    delivery = council.filter(pa.array(later))
    delivery = delivery.set_column(0, "dataset", pa.array(["council_later"] * count, pa.string()))
    moved = pc.is_in(truth["record_id"], delivery["record_id"])
    truth = truth.set_column(0, "dataset", pc.if_else(moved, "council_later", truth["dataset"]))
    return {"council_later": delivery} | {k: tables[k] for k in tables}, truth


# -- running -----------------------------------------------------------------------------------
def write_identified(hub: Hub, table: pa.Table, name: str) -> None:
    with hub.lake.new_version("identified", name, rows_read=table.num_rows,
                              rows_accepted=table.num_rows) as writer:
        writer.write_table(table)


class PeakMemory:
    """Peak resident memory of this process while a block runs (sampled every 50 ms)."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _rss(self) -> int:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * resource.getpagesize()

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._rss())
            self._stop.wait(0.05)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._rss())

    @property
    def gib(self) -> float:
        return round(self.peak / 2**30, 2)


class Phases:
    """Seconds spent in each phase named by the link run's progress callback."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._name: str | None = None
        self._since = time.perf_counter()

    def __call__(self, name: str) -> None:
        now = time.perf_counter()
        if self._name is not None:
            self.seconds[self._name] = round(now - self._since, 2)
        self._name, self._since = name, now

    def close(self) -> dict[str, float]:
        self("end")
        return self.seconds


def run_odahub(hub: Hub, mode: str, retrain: bool) -> dict[str, Any]:
    from odahub.link import model, names
    from odahub.link.run import LinkOptions, link

    # Each run pays what a fresh `odahub link` process pays (bar imports): nothing built by an
    # earlier run in this process is reused.
    model._settings_for.cache_clear()
    names._nicknamer.cache_clear()
    phases = Phases()
    with PeakMemory() as memory:
        started, cpu = time.perf_counter(), time.process_time()
        stats = link(hub, LinkOptions(mode=mode, retrain=retrain, phase=phases))
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    # CPU seconds of every thread of this process: steadier than wall time on a shared machine
    return stats | {"seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2),
                    "peak_gib": memory.gib, "phases": phases.close(),
                    "load_average": [round(x, 2) for x in os.getloadavg()]}


def scores(hub: Hub, truth: pa.Table) -> dict[str, Any]:
    from odahub.link import outputs
    from odahub.link.evaluate import evaluate

    result = evaluate(hub.engine, outputs.read(hub, "links"), truth)
    return {"pairwise": result["pairwise"], "cluster": result["cluster"]}


def plain_splink(hub: Hub, truth: pa.Table, threshold: float) -> dict[str, Any]:
    """A plain Splink script with odahub's settings, on the same prepared records.

    Same comparisons, blocking rules (with the same affordable extras), training route (prior
    from deterministic rules, u by random sampling, m by EM over the same sessions) and
    threshold; Splink's own predict and connected-components clustering. The co-resident
    surname levels are left out (ADR 0077): random sampling cannot estimate their u, which
    odahub counts in SQL. It starts from the prepared table (phonetic codes, nickname
    groups...), so odahub's timing includes a step the plain run is spared.
    """
    from splink import DuckDBAPI, Linker
    from splink.clustering import cluster_pairwise_predictions_at_threshold

    from odahub.link import comparisons
    from odahub.link.evaluate import evaluate
    from odahub.link.model import U_SAMPLE_PAIRS, settings_creator
    from odahub.link.prepare import prepare, read_union

    prepared = prepare(hub, read_union(hub))
    keep = [c for c in prepared.records.schema.names
            if c not in ("event_date", "household_ref", "relationship")]
    records = prepared.records.select(keep)
    hub.engine.register("plain_records", records)
    extra = comparisons.affordable(hub.engine, "plain_records", prepared.roles, records.num_rows)
    hub.engine.unregister("plain_records")
    with PeakMemory() as memory:
        started = time.perf_counter()
        api = DuckDBAPI(connection=hub.engine.connection)  # type: ignore[attr-defined]
        frame = api.register(records, table_name="plain_splink_input")
        linker = Linker(frame, settings_creator(prepared.roles, extra, co_residents=False),
                        log_level=None)
        linker.training.estimate_probability_two_random_records_match(
            comparisons.deterministic_rules_for(prepared.roles), recall=0.7)
        linker.training.estimate_u_using_random_sampling(max_pairs=U_SAMPLE_PAIRS, seed=1729)
        for block in comparisons.training_blocks_for(prepared.roles):
            linker.training.estimate_parameters_using_expectation_maximisation(
                block, estimate_without_term_frequencies=False)
        predictions = linker.inference.predict(threshold_match_probability=threshold)
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
            predictions, threshold_match_probability=threshold)
        table = clusters.as_pyarrow_table()
        seconds = time.perf_counter() - started
    del cluster_pairwise_predictions_at_threshold
    links = pa.table({"dataset": table["dataset"], "record_id": table["record_id"],
                      "person_id": table["cluster_id"].cast(pa.string())})
    result = evaluate(hub.engine, links, truth)
    pairs = predictions.as_pyarrow_table().num_rows
    return {"seconds": round(seconds, 2), "peak_gib": memory.gib, "pairs_above_threshold": pairs,
            "pairwise": result["pairwise"], "cluster": result["cluster"]}


def f1_versus_plain(ours: dict[str, Any], plain: dict[str, Any]) -> dict[str, Any]:
    """Both F1s against the same truth, by the same definition (pairs of records put in one
    person; and whole persons), and whether ours is at least plain Splink's."""
    pairwise, cluster = ours["pairwise"]["f1"], ours["cluster"]["f1"]
    return {"pairwise_odahub": pairwise, "pairwise_plain": plain["pairwise"]["f1"],
            "pairwise_difference": round(pairwise - plain["pairwise"]["f1"], 5),
            "cluster_odahub": cluster, "cluster_plain": plain["cluster"]["f1"],
            "equal_or_better": pairwise >= plain["pairwise"]["f1"]}


def same_links(hub: Hub, before: pa.Table) -> dict[str, Any]:
    """Compare the current links with `before`, record by record.

    A record has the same links when the records sharing its person are exactly the same set
    in both (persons compared as partitions, whatever their ids); `same_person_id` counts
    records also under the same id (ids are stable by design, so these should agree too);
    `same_households` compares households as partitions the same way. `identical` holds when
    every record of both is in both with the same links and the same person id."""
    from odahub.link import outputs

    after = outputs.read(hub, "links")
    found = {column: _same_partition(hub, before, after, column)
             for column in ("person_id", "household_id")}
    joined, same, same_id, rows_a, rows_b = found["person_id"]
    return {"records": joined, "same_links": same, "same_person_id": same_id,
            "same_households": found["household_id"][1],
            "identical": joined == rows_a == rows_b == same == same_id}


def _same_partition(hub: Hub, before: pa.Table, after: pa.Table, column: str) -> list[int]:
    """[records in both, records whose group is the same set, records with the same id,
    records before, records after] for the grouping by `column`."""
    engine = hub.engine
    engine.register("bench_a", before.select(["dataset", "record_id", column]))
    engine.register("bench_b", after.select(["dataset", "record_id", column]))
    try:
        row = engine.sql(f"""
            WITH j AS (SELECT a.{column} AS pa, b.{column} AS pb FROM bench_a a
                       JOIN bench_b b USING (dataset, record_id)),
            sizes_a AS (SELECT {column} AS pa, count(*) AS n FROM bench_a GROUP BY {column}),
            sizes_b AS (SELECT {column} AS pb, count(*) AS n FROM bench_b GROUP BY {column}),
            both_ AS (SELECT pa, pb, count(*) AS n FROM j GROUP BY pa, pb)
            SELECT (SELECT count(*) FROM j),
                   (SELECT CAST(coalesce(sum(x.n), 0) AS BIGINT) FROM both_ x
                    JOIN sizes_a USING (pa) JOIN sizes_b USING (pb)
                    WHERE x.n = sizes_a.n AND x.n = sizes_b.n),
                   (SELECT count(*) FROM j WHERE pa = pb),
                   (SELECT count(*) FROM bench_a), (SELECT count(*) FROM bench_b)
        """).to_pylist()[0].values()
    finally:
        engine.unregister("bench_a")
        engine.unregister("bench_b")
    return [int(v) for v in row]


def match_latency(hub: Hub, queries: pa.Table, count: int) -> dict[str, Any]:
    from odahub.link.match import Matcher

    started = time.perf_counter()
    matcher = Matcher(hub)
    build = time.perf_counter() - started
    roles = [c for c in queries.schema.names if c not in ("dataset", "record_id", "source_file",
                                                          "source_row")]
    seconds, linked = [], 0
    for row in queries.slice(0, count).to_pylist():
        record = {r: (str(row[r]) if row[r] is not None else None) for r in roles}
        began = time.perf_counter()
        found = matcher.match(record)
        seconds.append(time.perf_counter() - began)
        linked += bool(found and found[0]["linked"])
    return {"nominals": matcher.size, "build_seconds": round(build, 2), "queries": len(seconds),
            "median_ms": round(1000 * statistics.median(seconds), 1),
            "p90_ms": round(1000 * sorted(seconds)[int(0.9 * len(seconds))], 1),
            "found_linked": linked}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--delivery", type=float, default=0.01, help="incremental share")
    parser.add_argument("--queries", type=int, default=200, help="single-record matches")
    parser.add_argument("--skip-plain", action="store_true", help="no plain Splink baseline")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    started = time.perf_counter()
    tables, truth = records(args.records, args.seed)
    tables, truth = split_delivery(tables, truth, args.delivery, args.seed)
    delivery = tables.pop("council_later")
    report: dict[str, Any] = {"records": args.records, "delivery": delivery.num_rows,
                              "generate_seconds": round(time.perf_counter() - started, 1)}
    with tempfile.TemporaryDirectory() as folder:
        hub = open_hub(Path(folder) / "home")
        for name, table in tables.items():
            write_identified(hub, table, name)
        base_truth = truth.filter(pc.invert(pc.equal(truth["dataset"], "council_later")))
        full = run_odahub(hub, "full", retrain=True)
        report["odahub"] = full | scores(hub, base_truth)
        if not args.skip_plain:
            plain = plain_splink(hub, base_truth, full["threshold"])
            report["plain_splink"] = plain
            report["ratio_to_plain"] = round(full["seconds"] / plain["seconds"], 3)
            report["f1_vs_plain"] = f1_versus_plain(report["odahub"], plain)

        write_identified(hub, delivery, "council_later")
        incremental = run_odahub(hub, "incremental", retrain=False)
        from odahub.link import outputs

        after_incremental = outputs.read(hub, "links")
        relink = run_odahub(hub, "full", retrain=False)
        report["incremental"] = incremental | scores(hub, truth)
        report["full_relink"] = {k: relink[k] for k in ("seconds", "cpu_seconds", "peak_gib",
                                                        "phases", "candidate_pairs",
                                                        "load_average")}
        report["incremental_speedup"] = round(relink["seconds"] / incremental["seconds"], 1)
        report["incremental_cpu_speedup"] = round(relink["cpu_seconds"]
                                                  / incremental["cpu_seconds"], 1)
        report["incremental_vs_full"] = same_links(hub, after_incremental)
        report["single_record_match"] = match_latency(hub, delivery, args.queries)
        hub.close()
    report["load_average"] = [round(x, 2) for x in os.getloadavg()]
    print_report(report, args.json)


if __name__ == "__main__":
    main()
