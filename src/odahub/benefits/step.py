"""The benefits step of `odahub demo` / the pipeline."""

from __future__ import annotations

from typing import Any

from odahub.hub import Hub


def run(hub: Hub, state: Any) -> dict[str, Any]:
    """Not built yet: the benefits issue replaces this with the real step."""
    return {"status": "not built yet"}
