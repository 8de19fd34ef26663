"""The synth step of the pipeline generates once and reuses a matching county."""

from __future__ import annotations

from pathlib import Path

from odahub.hub import Hub
from odahub.pipeline import PipelineState
from odahub.synth import step


def test_step_generates_then_reuses(sqlite_hub: Hub, tmp_path: Path) -> None:
    state = PipelineState(synth_dir=tmp_path / "synth", persons=300, seed=4)
    first = step.run(sqlite_hub, state)
    assert first["generated"] is True
    assert first["datasets"] >= 10 and first["partners"] >= 6 and first["formats"] >= 6
    stamp = (tmp_path / "synth" / "manifest.json").stat().st_mtime_ns
    second = step.run(sqlite_hub, state)
    assert second["generated"] is False
    assert (tmp_path / "synth" / "manifest.json").stat().st_mtime_ns == stamp
    state.seed = 5
    assert step.run(sqlite_hub, state)["generated"] is True
