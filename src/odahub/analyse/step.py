"""The analyse step of `odahub demo` / the pipeline: marts, models, risk lists, demand, missing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from odahub.analyse import runner
from odahub.analyse.evaluate import InsufficientData
from odahub.hub import Hub
from odahub.lake import turns

PIPELINE_BOOTSTRAP_ROUNDS = 100


def run(hub: Hub, state: Any) -> dict[str, Any]:
    """Run everything on the lake's linked data (the county's truth if nothing is linked yet)."""
    return run_all(hub, getattr(state, "synth_dir", None))


@turns.stage_run
def run_all(hub: Hub, synth_dir: Path | None, source: str = "auto",
            rounds: int = PIPELINE_BOOTSTRAP_ROUNDS) -> dict[str, Any]:
    session = runner.open_session(hub, synth_dir, source)
    result: dict[str, Any] = {"source": session.inputs.source, "as_of": session.as_of.isoformat()}
    marts = runner.write_marts(session)
    result.update({f"{name}_rows": rows for name, rows in marts.items()})
    result.update(runner.write_tools(session))
    for spec in runner.specs_named(None):
        try:
            evaluation = runner.train(session, spec, rounds=rounds)
        except InsufficientData as error:
            result[f"{spec.name}_status"] = f"skipped: {error}"
            continue
        head = runner.headline(evaluation.report)
        scored = runner.score(session, spec)
        result[f"{spec.name}_auroc"] = round(head["auroc"], 3)
        result[f"{spec.name}_calibration_slope"] = round(head["calibration_slope"], 3)
        result[f"{spec.name}_beats_baselines"] = str(head["beats_every_baseline"])
        result[f"{spec.name}_listed"] = scored["rows"]
        result[f"{spec.name}_drift"] = scored["drift"]
    return result
