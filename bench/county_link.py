"""Linkage accuracy on the synthetic county: person precision/recall, household accuracy.

Builds a county (`odahub.synth.generate_county`), ingests it through the ingest step, links it
with a freshly trained model, and scores the links against DIR/truth/records.parquet.

    python bench/county_link.py [--persons 20000] [--seed 11] [--json]
    python bench/county_link.py --home HOME --county DIR   # link an already ingested hub

Household accuracy is pairwise: two records put in one household by odahub and by the truth.
Records with no link role at all (case notes, whose identifiers sit only in free text) cannot be
placed by any linkage method: the figures are given over all records and, as `linkable_*`, over
the records that carry at least one link role.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import open_hub, print_report  # noqa: E402
from odahub.hub import Hub  # noqa: E402
from odahub.link import outputs  # noqa: E402
from odahub.link.evaluate import evaluate  # noqa: E402
from odahub.link.prepare import prepare, read_union  # noqa: E402
from odahub.link.run import LinkOptions, link  # noqa: E402


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


def without_identity(hub: Hub) -> pa.Table:
    """(dataset, record_id) of records with no link role at all (e.g. case notes whose names sit
    only in free text): no linkage method can place them, so they are also scored apart."""
    prepared = prepare(hub, read_union(hub))
    records = prepared.records
    has_any = pa.array([False] * records.num_rows)
    for role in prepared.roles:
        has_any = pc.or_(has_any, pc.is_valid(records[role]))
    bare = records.filter(pc.invert(has_any))
    return bare.select(["dataset", "record_id"])


def _drop(table: pa.Table, bare: pa.Table) -> pa.Table:
    key = pc.binary_join_element_wise(table["dataset"], table["record_id"], ":")
    gone = pc.binary_join_element_wise(bare["dataset"], bare["record_id"], ":")
    return table.filter(pc.invert(pc.is_in(key, gone)))


def measure(hub: Hub, county: Path) -> dict[str, Any]:
    started = time.perf_counter()
    stats = link(hub, LinkOptions(mode="full", retrain=True))
    seconds = time.perf_counter() - started
    truth = pq.read_table(county / "truth" / "records.parquet")
    links = outputs.read(hub, "links")
    scores = evaluate(hub.engine, links, truth)
    bare = without_identity(hub)
    linkable = evaluate(hub.engine, _drop(links, bare), _drop(truth, bare))
    linked_datasets = set(links["dataset"].to_pylist())
    missing = sorted(set(truth["dataset"].to_pylist()) - linked_datasets)
    return {"link": stats | {"seconds": round(seconds, 1)},
            "persons_pairwise": scores["pairwise"], "persons_cluster": scores["cluster"],
            "households_pairwise": scores.get("households"),
            "records_without_identity": {
                "records": bare.num_rows,
                "datasets": sorted(set(bare["dataset"].to_pylist()))},
            "linkable_persons_pairwise": linkable["pairwise"],
            "linkable_persons_cluster": linkable["cluster"],
            "linkable_households_pairwise": linkable.get("households"),
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
    linkable = report["linkable_persons_pairwise"]
    report["must_show_linkable"] = linkable["precision"] >= 0.98 and linkable["recall"] >= 0.97
    print_report(report, args.json)


if __name__ == "__main__":
    main()
