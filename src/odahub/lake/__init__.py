"""The lake: Parquet in zones, each table version immutable and committed atomically."""

from __future__ import annotations

from odahub.lake.store import KeyProvider, Lake, VersionWriter

__all__ = ["KeyProvider", "Lake", "VersionWriter"]
