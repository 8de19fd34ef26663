"""Name knowledge the comparisons need: nickname groups and phonetic codes.

Computed once per distinct name (names repeat heavily, so a county of a million records has a
few tens of thousands of distinct names), then joined back to the records in SQL.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

import jellyfish
import pyarrow as pa
from nicknames import NickNamer


@cache
def _nicknamer() -> NickNamer:
    return NickNamer()


def nickname_group(name: str) -> list[str]:
    """The name with every formal name it can be short for (and its own nicknames' formals).

    Two first names are nickname-equivalent when their groups overlap: BILL {BILL, WILLIAM, ...}
    and WILLIAM {WILLIAM, BILL, ...} share WILLIAM.
    """
    lower = name.lower()
    group = {lower, *_nicknamer().canonicals_of(lower)}
    return sorted(item.upper() for item in group)


def phonetic(name: str) -> str | None:
    """Metaphone of the letters of a name (hyphens, apostrophes and spaces dropped)."""
    letters = "".join(ch for ch in name if ch.isalpha())
    return jellyfish.metaphone(letters) or None if letters else None


def first_name_lookup(names: Iterable[str]) -> pa.Table:
    """first_name → (phonetic code, nickname group), one row per distinct name."""
    distinct = sorted(set(names))
    return pa.table({
        "name": pa.array(distinct, pa.string()),
        "phonetic": pa.array([phonetic(n) for n in distinct], pa.string()),
        "nicknames": pa.array([nickname_group(n) for n in distinct], pa.list_(pa.string())),
    })


def last_name_lookup(names: Iterable[str]) -> pa.Table:
    """last_name → phonetic code, one row per distinct name."""
    distinct = sorted(set(names))
    return pa.table({
        "name": pa.array(distinct, pa.string()),
        "phonetic": pa.array([phonetic(n) for n in distinct], pa.string()),
    })
