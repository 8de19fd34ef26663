"""Governance: users, roles, agreements as code, one policy for every read, a chained audit log,
retention and data-subject rights. Foundation-level: stages and the web app call it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from odahub.governance.principal import LEVELS, ROLES, Level, Principal

if TYPE_CHECKING:
    from odahub.hub import Hub

__all__ = ["LEVELS", "ROLES", "Level", "Principal", "attach"]


def attach(hub: Hub) -> None:
    """Bind the hub's catalog to its audit trail (key and checkpoints under the home).

    Call once per entry point (CLI command, web app); an embedded SQLite home finds its own.
    """
    from odahub.governance.trail import configure

    configure(hub.catalog, hub.settings)
