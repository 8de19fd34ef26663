"""What `odahub analyse` and the pipeline step do: marts, train+evaluate, score risk lists."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from odahub.analyse import cards, demand, drift, missing, registry
from odahub.analyse.evaluate import Evaluation, InsufficientData, evaluate, splits
from odahub.analyse.explain import global_importance, top_factors
from odahub.analyse.frames import ID_COLUMN, MartCache, frame, matrix
from odahub.analyse.inputs import from_lake, from_truth
from odahub.analyse.planted import planted_scores
from odahub.analyse.relations import Inputs
from odahub.analyse.specs import SPECS, TIERS, ModelSpec
from odahub.errors import NotFound
from odahub.hub import Hub

Progress = Callable[[str], None]
EXPLAINED_ROWS = 1000  # explanations for the top of each list; the rest carry scores only
# Rolling origins a year apart, their test years pooled: as many as the history allows (None;
# three on the six-year county).
FOLDS: int | None = None


@dataclass
class Session:
    hub: Hub
    inputs: Inputs
    cache: MartCache

    @property
    def as_of(self) -> date:
        return self.inputs.end_date


def open_session(hub: Hub, synth_dir: Path | None = None, source: str = "auto") -> Session:
    """Lake inputs once the pipeline has linked data; the county's truth otherwise."""
    hub.lake.sweep(zones=("marts",))  # what a killed run left (never a live run's: ADR 0088)
    if source == "lake" or (source == "auto" and hub.lake.latest("linked", "links") is not None):
        inputs = from_lake(hub)
    elif synth_dir is not None:
        inputs = from_truth(synth_dir, hub.engine)
    else:
        raise NotFound("no linked data in the lake and no synthetic county given (--synth DIR)")
    inputs.register(hub.engine)
    return Session(hub, inputs, MartCache(hub.engine))


def write_marts(session: Session, as_of: date | None = None) -> dict[str, int]:
    as_of = as_of or session.as_of
    counts = {}
    for name, table in session.cache.marts(as_of).items():
        with session.hub.lake.new_version("marts", name, created_by="analyse",
                                          rows_accepted=table.num_rows,
                                          details={"as_of": as_of.isoformat()}) as writer:
            writer.write_table(table)
        counts[name] = table.num_rows
    return counts


def train(session: Session, spec: ModelSpec, rounds: int = 200) -> Evaluation:
    """Evaluate on the temporal hold-out, then save artefacts + card and register the version."""
    start = pa.compute.min(session.inputs.events.column("event_date")).as_py()
    folds = splits(start, session.as_of, spec.horizon_days, folds=FOLDS)
    if not folds:
        raise InsufficientData(f"{spec.name}: the data cover too short a period")
    inputs = session.inputs

    def planted(test: pd.DataFrame, as_of: date) -> np.ndarray | None:
        return planted_scores(inputs, spec, test, as_of)

    evaluation = evaluate(session.cache, spec, folds, rounds=rounds, planted=planted)
    split = evaluation.split
    x = matrix(evaluation.test, evaluation.model.features)
    importance = global_importance(evaluation.model, x[:2000])
    hub = session.hub
    next_version = len(registry.model_versions(hub.catalog, spec.name)) + 1
    payload = {"model": evaluation.model, "spec": spec.name, "trained_as_of": split.test,
               "reference": {f: x[:, i] for i, f in enumerate(evaluation.model.features)},
               "reference_scores": evaluation.scores["model"],
               "base_rate": float(evaluation.test["label"].mean())}
    files = cards.card_files(evaluation, next_version, importance)
    artefact = registry.save_artefacts(hub, spec.name, payload, files)
    registry.register_model(hub.catalog, model=spec.name, title=spec.title,
                            trained_as_of=split.test.isoformat(),
                            data_source=session.inputs.source, artefact_version=artefact,
                            metrics=headline(evaluation.report), created_by="analyse")
    return evaluation


def headline(report: dict[str, Any]) -> dict[str, Any]:
    model = report["results"]["model"]
    return {"auroc": model["point"]["auroc"], "auroc_ci95": model["ci95"]["auroc"],
            "pr_auc": model["point"]["pr_auc"], "brier": model["point"]["brier"],
            "calibration_slope": model["point"]["calibration_slope"],
            "lift_at_k": model["point"]["lift_at_k"], "k": report["k"],
            "beats_every_baseline": all(b["ci_excludes_baseline"]
                                        for b in report["beats"].values()),
            "planted_best_auroc": (report.get("planted_best") or {}).get("auroc"),
            "label": report["label"]}


def tiers(scores: np.ndarray, base_rate: float) -> np.ndarray:
    out = np.full(scores.shape, TIERS[-1][1], dtype=object)
    for multiple, name in reversed(TIERS[:-1]):
        out = np.where(scores >= multiple * base_rate, name, out)
    return out


def score(session: Session, spec: ModelSpec, as_of: date | None = None) -> dict[str, Any]:
    """Write the advisory risk list marts/risk_<model> with version, tier, rank and factors."""
    as_of = as_of or session.as_of
    hub = session.hub
    row, payload = registry.load_payload(hub, spec.name)
    model = payload["model"]
    live = frame(session.cache, spec, as_of, labelled=False)
    x = matrix(live, model.features)
    scores = model.predict(x)
    order = np.argsort(-scores, kind="stable")
    rank = np.empty(len(scores), dtype=np.int64)
    rank[order] = np.arange(1, len(scores) + 1)
    factors = np.full(len(scores), "[]", dtype=object)
    top = order[:EXPLAINED_ROWS]
    if len(top):
        factors[top] = top_factors(model, x[top], as_of)
    table = pa.table({
        ID_COLUMN[spec.entity]: live["entity_id"].astype(str), "score": scores,
        "tier": tiers(scores, payload["base_rate"]).astype(str), "rank": rank,
        "model": pa.repeat(spec.name, len(scores)),
        "model_version": pa.repeat(row.version, len(scores)),
        "as_of": pa.repeat(pa.scalar(as_of, pa.date32()), len(scores)),
        "advisory": pa.repeat(True, len(scores)), "factors": factors.astype(str)})
    with hub.lake.new_version("marts", f"risk_{spec.name}", created_by="analyse",
                              rows_accepted=table.num_rows,
                              details={"model_version": row.version}) as writer:
        writer.write_table(table.sort_by("rank"))
    check = drift.check(payload["reference"], {f: x[:, i] for i, f in enumerate(model.features)},
                        payload["reference_scores"], scores)
    registry.record_drift(hub.catalog, model=spec.name, model_version=row.version,
                          as_of=as_of.isoformat(), **check)
    return {"rows": table.num_rows, "model_version": row.version, "drift": check["signal"],
            "top_k_mean_score": float(np.mean(scores[order[:spec.k]])) if len(order) else 0.0}


def specs_named(names: list[str] | None) -> list[ModelSpec]:
    unknown = [n for n in names or [] if n not in SPECS]
    if unknown:
        raise NotFound(f"unknown model(s) {', '.join(unknown)}; known: {', '.join(SPECS)}")
    return [SPECS[n] for n in names] if names else list(SPECS.values())


def frame_summary(evaluation: Evaluation) -> pd.DataFrame:
    return pd.DataFrame(evaluation.report["results"]).T


def write_tools(session: Session, as_of: date | None = None) -> dict[str, int]:
    """Demand marts and the missing-persons whereabouts mart."""
    as_of = as_of or session.as_of
    session.cache.marts(as_of)  # registers person features of the date
    costs = None
    if session.hub.lake.latest("reference", "unit_costs") is not None:
        costs = session.hub.lake.read_latest("reference", "unit_costs")
    tables = demand.build(session.hub.engine, as_of, costs)
    tables["missing_whereabouts"] = missing.whereabouts_mart(session.hub.engine)
    counts = {}
    for name, table in tables.items():
        with session.hub.lake.new_version("marts", name, created_by="analyse",
                                          rows_accepted=table.num_rows) as writer:
            writer.write_table(table)
        counts[f"{name}_rows"] = table.num_rows
    return counts
