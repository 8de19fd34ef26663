"""The synth step of `odahub demo` / the pipeline: a county in `state.synth_dir`."""

from __future__ import annotations

import json
from typing import Any

from odahub.hub import Hub
from odahub.synth.county import generate_county
from odahub.synth.params import ErrorRates


def run(hub: Hub, state: Any) -> dict[str, Any]:
    """Generate the county unless one with the same parameters is already there."""
    manifest_path = state.synth_dir / "manifest.json"
    manifest: dict[str, Any] | None = None
    regenerated = False
    if manifest_path.exists():
        existing = json.loads(manifest_path.read_text(encoding="utf-8"))
        if (existing.get("persons") == state.persons and existing.get("seed") == state.seed
                and existing.get("error_rates") == ErrorRates().as_dict()):
            manifest = existing
    if manifest is None:
        manifest = generate_county(state.synth_dir, persons=state.persons, seed=state.seed)
        regenerated = True
    return {
        "persons": manifest["persons"], "seed": manifest["seed"],
        "datasets": len(manifest["datasets"]), "partners": len(manifest["partners"]),
        "formats": len({d["format"] for d in manifest["datasets"]}),
        "records": sum(d["records"] for d in manifest["datasets"]),
        "generated": regenerated,
    }
