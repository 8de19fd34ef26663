"""A per-process count of governance changes, so that caches of policy inputs know to reload.

Every change to users, agreements, grants or tokens is audited (issue 6), so `audit.record` bumps
the catalog's count when it records one. A cache remembers the count it loaded at and reloads
when the count has moved; changes made by another process reach it through its short TTL
(ADR 0074).
"""

from __future__ import annotations

import threading
from weakref import WeakKeyDictionary

from odahub.catalog import Catalog

# Audit actions that change what policy decides or who a session or token belongs to.
CHANGE_PREFIXES = ("user.", "agreement.", "grant.", "token.", "partner.")

_COUNTS: WeakKeyDictionary[Catalog, int] = WeakKeyDictionary()
_LOCK = threading.Lock()


def is_change(action: str) -> bool:
    return action.startswith(CHANGE_PREFIXES)


def generation(catalog: Catalog) -> int:
    """How many governance changes this process has seen on this catalog."""
    return _COUNTS.get(catalog, 0)


def bump(catalog: Catalog) -> int:
    """Note a change (called when it is audited, after it was committed)."""
    with _LOCK:
        count = _COUNTS.get(catalog, 0) + 1
        _COUNTS[catalog] = count
        return count
