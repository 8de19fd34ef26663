"""Linkage accuracy on the synthetic county: person precision/recall, household accuracy.

Builds a county (`odahub.synth.generate_county`), ingests it through the ingest step, links it
with a freshly trained model, and scores the links against DIR/truth/records.parquet.

    python bench/county_link.py [--persons 20000] [--seed 11] [--json]
    python bench/county_link.py --home HOME --county DIR   # link an already ingested hub

Household accuracy is pairwise: two records put in one household by odahub and by the truth.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from odahub.config import Settings, default_database_url  # noqa: E402
from odahub.hub import Hub  # noqa: E402
from odahub.link import outputs  # noqa: E402
from odahub.link.evaluate import evaluate  # noqa: E402
from odahub.link.run import LinkOptions, link  # noqa: E402
from odahub.privacy.keystore import KeyStore  # noqa: E402


def open_hub(home: Path, create: bool) -> Hub:
    settings = Settings(home=home, database_url=default_database_url(home))
    KeyStore.open(settings, create=create)
    hub = Hub(settings=settings, key_provider_factory=KeyStore.open)
    if create:
        hub.initialise()
    return hub


def build(work: Path, persons: int, seed: int) -> tuple[Hub, Path, dict[str, Any]]:
    """A county in `work/county`, ingested into a hub at `work/home`."""
    from odahub.ingest import step as ingest_step
    from odahub.pipeline import PipelineState
    from odahub.synth import generate_county

    county = work / "county"
    started = time.perf_counter()
    generate_county(county, persons=persons, seed=seed)
    hub = open_hub(work / "home", create=True)
    ingested = ingest_step.run(hub, PipelineState(synth_dir=county, persons=persons, seed=seed))
    ingested["seconds"] = round(time.perf_counter() - started, 1)
    return hub, county, ingested


def measure(hub: Hub, county: Path) -> dict[str, Any]:
    started = time.perf_counter()
    stats = link(hub, LinkOptions(mode="full", retrain=True))
    seconds = time.perf_counter() - started
    truth = pq.read_table(county / "truth" / "records.parquet")
    links = outputs.read(hub, "links")
    scores = evaluate(hub.engine, links, truth)
    linked_datasets = set(links["dataset"].to_pylist())
    missing = sorted(set(truth["dataset"].to_pylist()) - linked_datasets)
    return {"link": stats | {"seconds": round(seconds, 1)},
            "persons_pairwise": scores["pairwise"], "persons_cluster": scores["cluster"],
            "households_pairwise": scores.get("households"),
            "datasets_linked": len(linked_datasets), "datasets_not_ingested": missing}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--home", type=Path, help="an already ingested hub")
    parser.add_argument("--county", type=Path, help="its county folder (with truth/)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.home:
        report = measure(open_hub(args.home, create=False), args.county)
    else:
        with tempfile.TemporaryDirectory() as folder:
            hub, county, ingested = build(Path(folder), args.persons, args.seed)
            report = {"ingest": ingested} | measure(hub, county)
            hub.close()
    pairwise = report["persons_pairwise"]
    report["must_show"] = pairwise["precision"] >= 0.98 and pairwise["recall"] >= 0.97
    if args.json:
        print(json.dumps(report, indent=2, default=str))
        return
    for key, value in report.items():
        print(f"{key:22} {value}")


if __name__ == "__main__":
    main()
