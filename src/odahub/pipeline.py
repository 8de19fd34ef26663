"""Runs the stages in order. Each stage exposes `step.run(hub, state)`; steps are idempotent."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from odahub.analyse import step as analyse_step
from odahub.benefits import step as benefits_step
from odahub.governance import step as governance_step
from odahub.hub import Hub
from odahub.ingest import step as ingest_step
from odahub.link import step as link_step
from odahub.privacy import step as privacy_step
from odahub.synth import step as synth_step


@dataclass
class PipelineState:
    """What the steps hand each other besides the lake: where the county is, and results."""

    synth_dir: Path
    persons: int = 2000
    seed: int = 1
    results: dict[str, Any] = field(default_factory=dict)


Step = Callable[[Hub, PipelineState], dict[str, Any]]

STEPS: list[tuple[str, Step]] = [
    ("synth", synth_step.run),
    ("governance", governance_step.run),
    ("ingest", ingest_step.run),
    ("privacy", privacy_step.run),
    ("link", link_step.run),
    ("analyse", analyse_step.run),
    ("benefits", benefits_step.run),
    ("retention", governance_step.run_retention),
]


# The stages a corrected re-delivery must flow through (link re-scores in full when a
# re-delivery changed records it had linked).
AFTER_INGEST = STEPS[[name for name, _ in STEPS].index("ingest") + 1:]


def run_after_ingest(hub: Hub) -> dict[str, Any]:
    """Every stage after ingest over what the lake holds now: how a corrected re-delivery
    flows through pseudonymisation, linkage and the marts (`odahub rights rectify`)."""
    state = PipelineState(synth_dir=hub.settings.home / "synth")
    for name, step in AFTER_INGEST:
        state.results[name] = step(hub, state)
    return state.results


def run_pipeline(
    hub: Hub, state: PipelineState, on_step: Callable[[str, dict[str, Any]], None] | None = None
) -> PipelineState:
    for name, step in STEPS:
        started = time.perf_counter()
        result = step(hub, state)
        result.setdefault("seconds", round(time.perf_counter() - started, 2))
        state.results[name] = result
        if on_step is not None:
            on_step(name, result)
    return state
