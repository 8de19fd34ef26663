"""The governance step of `odahub demo` / the pipeline: demo partners, users, agreements."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from odahub.governance import attach, demo
from odahub.hub import Hub


def run(hub: Hub, state: Any) -> dict[str, Any]:
    """Load demo principals and agreements (runs before ingest: partners are get-or-create)."""
    attach(hub)
    synth_dir = getattr(state, "synth_dir", None)
    return demo.load(hub.catalog, Path(synth_dir) if synth_dir else None)


def run_retention(hub: Hub, state: Any) -> dict[str, Any]:
    """Apply retention periods after every run, so expired records leave every zone and mart."""
    from odahub.governance import retention

    attach(hub)
    result = retention.apply(hub, actor="pipeline")
    return {"datasets_with_periods": len(result.periods),
            "records_expired": sum(result.expired.values()),
            "persons_removed": result.persons_removed, "tables_rewritten": len(result.removals)}
