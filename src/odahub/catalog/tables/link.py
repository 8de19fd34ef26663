"""Catalog tables of the link stage.

Each table is added by an Alembic migration on the 'link' branch (down_revision 0001_core).
"""

from __future__ import annotations
