"""The link step of `odahub demo` / the pipeline: link the county, score it if truth exists."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from odahub.hub import Hub
from odahub.link import outputs
from odahub.link.evaluate import evaluate, read_truth
from odahub.link.run import LinkOptions, link


def run(hub: Hub, state: Any) -> dict[str, Any]:
    """Full link on a first run, incremental afterwards; precision/recall against the truth."""
    stats = link(hub, LinkOptions(mode="incremental"))
    result: dict[str, Any] = {k: stats[k] for k in (
        "mode", "records", "candidate_pairs", "persons", "households", "threshold",
        "review_queued")}
    truth_file = Path(state.synth_dir) / "truth" / "records.parquet"
    if truth_file.exists():
        scores = evaluate(hub.engine, outputs.read(hub, "links"), read_truth(truth_file))
        result |= {f"pairwise_{k}": scores["pairwise"][k] for k in ("precision", "recall", "f1")}
        if "households" in scores:
            result["household_f1"] = scores["households"]["f1"]
    return result
