"""The synth stage: a synthetic county with partner feeds and the ground truth behind them."""

from __future__ import annotations

from odahub.synth.county import generate_county
from odahub.synth.params import ErrorRates

__all__ = ["ErrorRates", "generate_county"]
