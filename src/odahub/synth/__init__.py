"""The synth stage: a synthetic county with partner feeds and the ground truth behind them."""

from __future__ import annotations

from typing import Any

__all__ = ["ErrorRates", "generate_county"]


def __getattr__(name: str) -> Any:
    """Imported on first use: the generator pulls in pandas and document writers, which every
    `odahub` command would otherwise pay for at start-up."""
    if name == "generate_county":
        from odahub.synth.county import generate_county

        return generate_county
    if name == "ErrorRates":
        from odahub.synth.params import ErrorRates

        return ErrorRates
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
