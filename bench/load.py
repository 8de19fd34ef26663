"""Load test of the web app: concurrent users searching and opening person views.

    python bench/load.py                       # 100,000 persons, 50 users, 120 s
    python bench/load.py --persons 5000 --users 10 --seconds 15
    python bench/load.py --home ~/.odahub      # a home made by `odahub demo --no-serve`
    python bench/load.py --profile 200         # also: where an in-process request's CPU goes

Without --home, a serving county is written straight into a fresh home's lake (vectorised:
identified and pseudonymised feeds, links, households, a risk list), so the bench measures the
web layer alone. The app runs in a uvicorn subprocess on 127.0.0.1; users are httpx async
clients with API tokens. Each user loops: search by surname (with a first name 30% of the
time), open one hit's person view, think. Prints p50/p95/p99 per request kind, throughput,
errors, the load average, and the ratio to the same query functions called in-process (the
baseline: no HTTP, no concurrency, same start-up warm-up).

One uvicorn worker is the default: the load generator shares the machine's cores, and one
process keeps the audit log's group commit in one place (ADR 0055). The server process runs
with a 1 ms GIL switch interval (`odahub.web.app.tune_server_process`, ADR 0075).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pyarrow as pa

from odahub.catalog.tables.core import Dataset, Partner
from odahub.config import Settings, default_database_url
from odahub.governance import attach, demo, tokens, users
from odahub.hub import Hub
from odahub.privacy.keystore import KeyStore

FIRST = ["JOHN", "MARY", "AHMED", "SARAH", "LIAM", "OLIVIA", "NOAH", "AMELIA", "JACK", "ISLA",
         "MOHAMMED", "AVA", "HARRY", "MIA", "OSCAR", "GRACE", "LEO", "LILY", "ARTHUR", "FREYA"]
SYLLABLES = ["AB", "BER", "CAL", "DEN", "ELL", "FOR", "GAR", "HOL", "ING", "JAR", "KEN", "LOR",
             "MOR", "NEW", "OST", "PEN", "QUIN", "ROW", "STAN", "TOR", "UL", "VER", "WIN", "YAT"]
ENDINGS = ["", "S", "SON", "TON", "LEY", "FORD", "WELL", "HAM", "BY", "WOOD", "MAN", "ER"]
# Surnames from syllables, drawn with a long-tailed frequency as real surnames are (the most
# common about 0.5% of people, as Smith is about 1.3% in England).
LAST = [str(n) for n in np.random.default_rng(0).permutation(sorted(
    {a + b + end for a in SYLLABLES for b in SYLLABLES for end in ENDINGS[:6]}))]
LAST_WEIGHTS = 1.0 / (np.arange(1, len(LAST) + 1) + 30.0)
LAST_WEIGHTS /= LAST_WEIGHTS.sum()
FEEDS = {"police_records": "crime", "county_council_records": "cin_referral",
         "nhs_trust_records": "ae_attendance"}


def make_home(home: Path, database_url: str | None = None) -> Hub:
    settings = Settings(home=home, database_url=database_url or default_database_url(home))
    KeyStore.open(settings, create=True)
    hub = Hub(settings=settings, key_provider_factory=KeyStore.open)
    hub.initialise()
    return hub


def people(count: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    households = count // 2 + 1
    return {
        "person_id": np.char.add("P-", np.char.zfill(np.arange(count).astype(str), 7)),
        "first_name": np.array(FIRST)[rng.integers(0, len(FIRST), count)],
        "last_name": np.array(LAST)[rng.choice(len(LAST), count, p=LAST_WEIGHTS)],
        "date_of_birth": (np.datetime64("1940-01-01") + rng.integers(0, 80 * 365, count)),
        "sex": np.array(["M", "F"])[rng.integers(0, 2, count)],
        "household_id": np.char.add("H-", np.char.zfill(
            rng.integers(0, households, count).astype(str), 7)),
        "oa_code": np.char.add("E00", np.char.zfill(rng.integers(0, 400, count).astype(str), 6)),
    }


def feed_tables(person: dict[str, np.ndarray], dataset: str, rng: np.random.Generator,
                share: float) -> tuple[pa.Table, pa.Table, pa.Table]:
    """identified, pseudonymised and links rows for the persons this feed knows."""
    count = len(person["person_id"])
    chosen = np.flatnonzero(rng.random(count) < share)
    repeats = rng.integers(1, 4, len(chosen))
    index = np.repeat(chosen, repeats)
    n = len(index)
    record_id = np.char.add(dataset[:3] + "-", np.arange(n).astype(str))
    event_date = np.datetime64("2019-01-01") + rng.integers(0, 5 * 365, n)
    postcode = np.char.add("CO", np.char.add((index % 90 + 1).astype(str), " 1AA"))
    base = {"dataset": np.full(n, dataset), "record_id": record_id,
            "event_date": event_date.astype("datetime64[D]"),
            "event_type": np.full(n, FEEDS[dataset])}
    identified = pa.table({**base, **{k: person[k][index] for k in (
        "first_name", "last_name", "sex")},
        "date_of_birth": person["date_of_birth"][index].astype("datetime64[D]"),
        "postcode": postcode})
    pseudo = pa.table({**base, "sex": person["sex"][index], "oa_code": person["oa_code"][index],
                       "birth_year": person["date_of_birth"][index].astype("datetime64[Y]")
                       .astype(int) + 1970})
    links = pa.table({"dataset": base["dataset"], "record_id": record_id,
                      "person_id": person["person_id"][index],
                      "household_id": person["household_id"][index],
                      "match_probability": np.full(n, 0.99)})
    return identified, pseudo, links


def write(hub: Hub, zone: str, name: str, table: pa.Table) -> None:
    with hub.lake.new_version(zone, name) as writer:
        writer.write_table(table)


def build_county(hub: Hub, persons: int, seed: int) -> None:
    demo.load(hub.catalog, None)
    rng = np.random.default_rng(seed)
    person = people(persons, rng)
    with hub.catalog.session() as session:
        for name, event in FEEDS.items():
            partner = name.removesuffix("_records")
            partner_id = session.query(Partner.id).filter(Partner.code == partner).scalar()
            session.add(Dataset(name=name, partner_id=partner_id, format="csv",
                                spec={"dataset": name, "partner": partner, "event_type": event}))
    all_links = []
    for name, share in zip(FEEDS, (0.5, 0.3, 0.6), strict=True):
        identified, pseudo, links = feed_tables(person, name, rng, share)
        write(hub, "identified", name, identified)
        write(hub, "pseudonymised", name, pseudo)
        all_links.append(links)
    write(hub, "linked", "links", pa.concat_tables(all_links))
    write(hub, "linked", "households", pa.table({
        "household_id": person["household_id"], "person_id": person["person_id"],
        "valid_from": np.full(persons, np.datetime64("2015-01-01", "D")),
        "valid_to": pa.nulls(persons, pa.date32())}))
    households = np.unique(person["household_id"])
    scores = rng.random(len(households))
    order = np.argsort(-scores)
    write(hub, "marts", "risk_da_escalation", pa.table({
        "household_id": households[order], "score": scores[order],
        "tier": np.where(scores[order] > 0.9, "high",
                         np.where(scores[order] > 0.6, "medium", "low")),
        "rank": np.arange(1, len(households) + 1), "model_version": np.ones(len(households), int),
        "factors": np.full(len(households), '[{"factor": "synthetic bench factor"}]')}))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(home: Path, port: int, database_url: str,
                 workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "ODAHUB_HOME": str(home), "ODAHUB_DATABASE_URL": database_url}
    return subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "odahub.web.app:app_from_env",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
         "--workers", str(workers), "--timeout-keep-alive", "75"], env=env)


def wait_ready(base: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/login", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


class Stats:
    def __init__(self) -> None:
        self.latency: dict[str, list[float]] = {"search": [], "person": []}
        self.errors: list[str] = []


async def user_loop(base: str, headers: dict[str, str], stop: float, think: float,
                    stats: Stats, seed: int) -> None:
    rng = random.Random(seed)
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as client:
        while time.monotonic() < stop:
            surname = LAST[int(np.searchsorted(np.cumsum(LAST_WEIGHTS), rng.random()))]
            params: dict[str, Any] = {"name": surname, "limit": 10}
            if rng.random() < 0.3:
                params["name"] = f"{rng.choice(FIRST)} {params['name']}"
            hits = await timed(client, "search", "/api/v1/search", params, stats)
            if hits and hits.get("hits"):
                person = rng.choice(hits["hits"])["person_id"]
                await timed(client, "person", f"/api/v1/persons/{person}", {}, stats)
            if think:
                await asyncio.sleep(rng.expovariate(1 / think))


async def timed(client: httpx.AsyncClient, kind: str, path: str, params: dict[str, Any],
                stats: Stats) -> Any:
    started = time.perf_counter()
    try:
        response = await client.get(path, params=params)
    except httpx.HTTPError as error:
        stats.errors.append(f"{kind}: {type(error).__name__}")
        return None
    stats.latency[kind].append(time.perf_counter() - started)
    if response.status_code != 200:
        stats.errors.append(f"{kind}: HTTP {response.status_code}")
        return None
    return response.json()


def percentiles(values: list[float]) -> str:
    if not values:
        return "no requests"
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return (f"n={len(values):>6}  p50={cuts[49] * 1000:7.1f} ms  p95={cuts[94] * 1000:7.1f} ms  "
            f"p99={cuts[98] * 1000:7.1f} ms")


def baseline(hub: Hub, samples: int = 50, profile: int = 0) -> dict[str, float]:
    """The same search and person-view functions in process, one at a time (no HTTP), after
    the same start-up warm-up as the app; with `profile`, print where a request's CPU goes."""
    import cProfile
    import pstats

    from odahub.web.queries import person, search
    from odahub.web.serving import build_serving
    from odahub.web.warm import warm

    attach(hub)
    serving = build_serving(hub)
    warm(serving)
    principal = users.principal_for(hub.catalog, "practitioner", "early_help", "bench baseline")
    rng = random.Random(1)
    timings: dict[str, list[float]] = {"search": [], "person": []}
    profiler = cProfile.Profile(time.process_time)
    for n in range(samples + profile):
        if n == samples:
            profiler.enable()
        started = time.perf_counter()
        surname = LAST[int(np.searchsorted(np.cumsum(LAST_WEIGHTS), rng.random()))]
        name = f"{rng.choice(FIRST)} {surname}" if rng.random() < 0.3 else surname
        found = search.search(serving, principal, search.SearchQuery(name=name, limit=10))
        timings["search"].append(time.perf_counter() - started)
        if found.hits:
            started = time.perf_counter()
            person.person_view(serving, principal, rng.choice(found.hits)["person_id"])
            timings["person"].append(time.perf_counter() - started)
    if profile:
        profiler.disable()
        print(f"\nCPU per search + person view, in process, over {profile} pairs "
              "(cumulative ms per pair; cProfile inflates small calls):", file=sys.stderr)
        stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
        rows = sorted(((v[3] / profile * 1000, f"{Path(k[0]).name}:{k[2]}")
                       for k, v in stats.items() if "odahub" in k[0]), reverse=True)
        for ms, where in rows[:25]:
            print(f"  {ms:7.2f}  {where}", file=sys.stderr)
    return {k: statistics.median(v[:samples]) for k, v in timings.items() if v}


async def run_users(base: str, headers: list[dict[str, str]], seconds: float,
                    think: float) -> Stats:
    stats = Stats()
    stop = time.monotonic() + seconds
    await asyncio.gather(*(user_loop(base, h, stop, think, stats, i)
                           for i, h in enumerate(headers)))
    return stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--think", type=float, default=1.0,
                        help="mean think time between a user's actions, seconds (0 = none)")
    parser.add_argument("--home", type=Path, help="use this existing home instead of building")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--warmup", type=float, default=20, help="untimed seconds first")
    parser.add_argument("--database-url", help="catalog URL (default: SQLite in the home); "
                        "PostgreSQL suits many concurrent users")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="also profile N in-process search + person-view pairs")
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="odahub-load-")) / "home"
    database_url = args.database_url or default_database_url(home)
    if args.home:
        hub = Hub(Settings(home=home, database_url=database_url),
                  key_provider_factory=KeyStore.open)
    else:
        started = time.perf_counter()
        hub = make_home(home, database_url)
        build_county(hub, args.persons, args.seed)
        print(f"built a {args.persons:,}-person serving county in "
              f"{time.perf_counter() - started:.1f} s at {home}", file=sys.stderr)
    attach(hub)
    base_times = baseline(hub, profile=args.profile)
    practitioners = ["practitioner", "officer"]
    headers = [{"Authorization": "Bearer " + tokens.issue(hub.catalog, practitioners[i % 2],
                                                          name=f"load-{i}"),
                "X-Odahub-Purpose": "early_help", "X-Odahub-Justification": "load test"}
               for i in range(args.users)]
    port = free_port()
    server = start_server(home, port, database_url, args.workers)
    try:
        wait_ready(f"http://127.0.0.1:{port}")
        # Warm up: every worker loads the lake and builds its index before timing starts.
        asyncio.run(run_users(f"http://127.0.0.1:{port}", headers, args.warmup, args.think))
        started = time.perf_counter()
        stats = asyncio.run(run_users(f"http://127.0.0.1:{port}", headers, args.seconds,
                                      args.think))
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    total = sum(len(v) for v in stats.latency.values())
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\nload average at the end (1, 5, 15 min): {load} on {os.cpu_count()} cores")
    print(f"{args.users} users, {args.workers} worker(s), {args.seconds:.0f} s, "
          f"think {args.think} s, "
          f"{args.persons:,} persons: {total:,} requests, {total / elapsed:.1f} req/s, "
          f"errors {len(stats.errors)}")
    for kind, values in stats.latency.items():
        ratio = (statistics.median(values) / base_times[kind]) if (
            values and base_times.get(kind)) else float("nan")
        print(f"  {kind:<7} {percentiles(values)}   in-process median "
              f"{base_times.get(kind, float('nan')) * 1000:6.1f} ms  ratio {ratio:4.1f}x")
    everything = [v for values in stats.latency.values() for v in values]
    print(f"  all     {percentiles(everything)}")
    if stats.errors:
        print("errors:", sorted(set(stats.errors))[:10])
        raise SystemExit(1)


if __name__ == "__main__":
    main()
