"""Catalog tables of the privacy stage.

Each table is added by an Alembic migration on the 'privacy' branch (down_revision 0001_core).
"""

from __future__ import annotations
