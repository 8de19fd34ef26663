"""Catalog tables of the governance stage.

Each table is added by an Alembic migration on the 'governance' branch (down_revision 0001_core).
"""

from __future__ import annotations
