"""Linkage quality against a truth file (dataset, record_id, person_id[, household_id]).

Pairwise: every two records put in one person is a predicted pair; precision/recall/F1 against
the pairs truth puts in one person. Cluster: a predicted person is right when it holds exactly
the records of one true person. Household accuracy: the same pairwise measures on household ids.
Counted with SQL over the group sizes, never by listing pairs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from odahub.engine import Engine
from odahub.errors import NotFound, Problem, SpecError

REQUIRED = ("dataset", "record_id", "person_id")


def read_truth(path: Path) -> pa.Table:
    if not path.exists():
        raise NotFound(f"no truth file at {path}")
    truth = pq.read_table(path)
    missing = [c for c in REQUIRED if c not in truth.schema.names]
    if missing:
        raise SpecError("the truth file lacks columns", [
            Problem(f"missing column {c}", file=str(path), column=c) for c in missing])
    return truth


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def _ratio(part: float, whole: float) -> float:
    return part / whole if whole else 1.0


def pairwise(engine: Engine, predicted: str, truth: str) -> dict[str, float]:
    """Columns `pred_id` and `actual_id` on the joined view; returns precision/recall/f1."""
    counts = engine.sql(f"""
        WITH j AS (SELECT p.dataset, p.record_id, p.pred_id, t.actual_id FROM {predicted} p
                   JOIN {truth} t ON t.dataset = p.dataset AND t.record_id = p.record_id),
        both_ AS (SELECT count(*) AS n FROM j GROUP BY pred_id, actual_id),
        preds AS (SELECT count(*) AS n FROM j GROUP BY pred_id),
        trues AS (SELECT count(*) AS n FROM j GROUP BY actual_id)
        SELECT (SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM both_) AS tp,
               (SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM preds) AS predicted,
               (SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM trues) AS actual
    """).to_pylist()[0]
    precision = _ratio(float(counts["tp"]), float(counts["predicted"]))
    recall = _ratio(float(counts["tp"]), float(counts["actual"]))
    return {"precision": round(precision, 5), "recall": round(recall, 5),
            "f1": round(_f1(precision, recall), 5), "true_pairs": int(counts["actual"]),
            "predicted_pairs": int(counts["predicted"])}


def clusters(engine: Engine, predicted: str, truth: str) -> dict[str, float]:
    counts = engine.sql(f"""
        WITH j AS (SELECT p.pred_id, t.actual_id FROM {predicted} p
                   JOIN {truth} t ON t.dataset = p.dataset AND t.record_id = p.record_id),
        sizes AS (SELECT pred_id, actual_id, count(*) AS n FROM j GROUP BY pred_id, actual_id),
        psize AS (SELECT pred_id, count(*) AS n FROM j GROUP BY pred_id),
        tsize AS (SELECT actual_id, count(*) AS n FROM j GROUP BY actual_id)
        SELECT (SELECT count(*) FROM sizes s JOIN psize p ON p.pred_id = s.pred_id AND p.n = s.n
                JOIN tsize t ON t.actual_id = s.actual_id AND t.n = s.n) AS exact,
               (SELECT count(*) FROM psize) AS predicted, (SELECT count(*) FROM tsize) AS actual
    """).to_pylist()[0]
    precision = _ratio(counts["exact"], counts["predicted"])
    recall = _ratio(counts["exact"], counts["actual"])
    return {"precision": round(precision, 5), "recall": round(recall, 5),
            "f1": round(_f1(precision, recall), 5)}


def evaluate(engine: Engine, links: pa.Table, truth: pa.Table) -> dict[str, Any]:
    """Scores of links (dataset, record_id, person_id, household_id) against truth."""
    engine.register("eval_links", links)
    engine.register("eval_truth", truth)
    try:
        engine.execute("CREATE OR REPLACE TEMP VIEW eval_p AS SELECT dataset, record_id, "
                       "person_id AS pred_id FROM eval_links")
        engine.execute("CREATE OR REPLACE TEMP VIEW eval_t AS SELECT dataset, record_id, "
                       "person_id AS actual_id FROM eval_truth")
        result: dict[str, Any] = {
            "pairwise": pairwise(engine, "eval_p", "eval_t"),
            "cluster": clusters(engine, "eval_p", "eval_t"),
            "records": links.num_rows,
            "persons": len(links["person_id"].unique()),
            "true_persons": len(truth["person_id"].unique()),
        }
        if "household_id" in truth.schema.names and "household_id" in links.schema.names:
            engine.execute("CREATE OR REPLACE TEMP VIEW eval_hp AS SELECT dataset, record_id, "
                           "household_id AS pred_id FROM eval_links")
            engine.execute("CREATE OR REPLACE TEMP VIEW eval_ht AS SELECT dataset, record_id, "
                           "household_id AS actual_id FROM eval_truth")
            result["households"] = pairwise(engine, "eval_hp", "eval_ht")
    finally:
        for view in ("eval_p", "eval_t", "eval_hp", "eval_ht"):
            engine.execute(f"DROP VIEW IF EXISTS {view}")
        engine.unregister("eval_links")
        engine.unregister("eval_truth")
    return result
