"""Every catalog table, one module per area; importing this registers them all on Base.metadata."""

from __future__ import annotations

from odahub.catalog.tables import (  # noqa: F401
    analyse,
    benefits,
    core,
    governance,
    link,
    privacy,
)
