"""Compute engines behind one interface: DuckDB embedded by default, Spark at scale (ADR 0002)."""

from __future__ import annotations

from odahub.engine.base import Engine, open_engine

__all__ = ["Engine", "open_engine"]
