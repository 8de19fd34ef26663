"""The catalog: what exists (partners, feeds, versions, jobs, and each stage's records)."""

from __future__ import annotations

from odahub.catalog.db import Catalog, migrate

__all__ = ["Catalog", "migrate"]
