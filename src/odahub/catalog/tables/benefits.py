"""Catalog tables of the benefits stage.

Each table is added by an Alembic migration on the 'benefits' branch (down_revision 0001_core).
"""

from __future__ import annotations
