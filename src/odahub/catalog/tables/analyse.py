"""Catalog tables of the analyse stage.

Each table is added by an Alembic migration on the 'analyse' branch (down_revision 0001_core).
"""

from __future__ import annotations
