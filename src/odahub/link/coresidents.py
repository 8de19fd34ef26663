"""People who live together share a surname far more often than strangers do (ADR 0077).

Splink multiplies the evidence of each comparison as if independent. Among records of different
people, an agreeing last name and an agreeing address are not: a household's members share both.
Counted independently, a parent and child (or two siblings) with the same name at one address
carry the surname's full weight (its rarity among strangers) on top of the address's, and land
near a match probability of 0.9 with a date of birth that disagrees outright.

So the last-name comparison starts with *similar last name, same address* and *similar last
name, same postcode* (a record without its address line; or neighbours). Each level's m is the
chance a true match has a similar last name at all, and its u the chance that two different
people at one place do: P(similar | same place, non-match), counted exactly in SQL as (pairs at
one place with one surname − the matches among them) / (pairs at one place − the matches among
them), the matches estimated from the trained prior and m. Name and place then weigh
m_name·m_place / P(name and place agree | non-match): the joint, not a product of two
marginals. Where strangers rarely share a place the share falls to the plain u and nothing
changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import splink.comparison_level_library as cll
from splink import Linker
from splink.internals.comparison_level_creator import ComparisonLevelCreator
from splink.internals.splink_dataframe import SplinkDataFrame

ADDRESS = "Similar last name, same address (co-residents)"
POSTCODE = "Similar last name, same postcode"
LABELS = (ADDRESS, POSTCODE)
SIMILAR = 0.92
# Fewer non-matching pairs at one place than this tell nothing about households.
MIN_PAIRS = 20


@dataclass(frozen=True)
class Place:
    """A co-resident level: its label, the columns naming the place, and the columns whose
    pairs belong to an earlier level (counted there, so taken out here)."""

    label: str
    keys: tuple[str, ...]
    earlier: tuple[str, ...] = ()


def places(roles: list[str]) -> list[Place]:
    key = "address" if "address" in roles else "uprn" if "uprn" in roles else None
    found = [Place(ADDRESS, (key,))] if key else []
    if "postcode" in roles:
        found.append(Place(POSTCODE, ("postcode",), ("postcode", key) if key else ()))
    return found if "last_name" in roles else []


def levels(roles: list[str]) -> list[ComparisonLevelCreator]:
    """The co-resident levels for the last-name comparison, best first."""
    similar = cll.JaroWinklerLevel("last_name", SIMILAR)
    made = []
    for place in places(roles):
        same: list[ComparisonLevelCreator] = [cll.ExactMatchLevel(place.keys[0])]
        if place.label == ADDRESS and "postcode" in roles and "address" in roles:
            # the same dwelling, its line mistyped
            same.append(cll.And(cll.ExactMatchLevel("postcode"),
                                cll.ExactMatchLevel("address_number")))
        if place.label == ADDRESS and "uprn" in roles and place.keys[0] != "uprn":
            same.append(cll.ExactMatchLevel("uprn"))
        where = same[0] if len(same) == 1 else cll.Or(*same)
        made.append(cll.And(similar, where).configure(label_for_charts=place.label))
    return made


def _pairs(table: str, keys: tuple[str, ...]) -> str:
    present = " AND ".join(f"{k} IS NOT NULL" for k in keys)
    return (f"(SELECT coalesce(sum(k * (k - 1) / 2), 0) FROM (SELECT count(*) AS k FROM {table} "
            f"WHERE {present} GROUP BY {', '.join(keys)}) g)")


def count_pairs(linker: Linker, table: SplinkDataFrame, roles: list[str],
                ) -> dict[str, dict[str, int]]:
    """Per place: pairs of records (with a last name) at one place, and at one place with one
    last name, less those an earlier level holds; plus `n`, the records with a last name."""
    found = places(roles)
    if not found:
        return {}
    columns = sorted({"last_name", *(k for p in found for k in (*p.keys, *p.earlier))})
    base = (f"(SELECT {', '.join(columns)} FROM {table.physical_name} "
            "WHERE last_name IS NOT NULL) b")
    parts = [f"(SELECT count(*) FROM {base}) AS n"]
    for i, place in enumerate(found):
        for name, extra in (("place", ()), ("name", ("last_name",))):
            sql = _pairs(base, (*place.keys, *extra))
            if place.earlier:
                sql = f"({sql} - {_pairs(base, (*place.earlier, *extra))})"
            parts.append(f"{sql} AS {name}_{i}")
    row = linker.misc.query_sql(f"SELECT {', '.join(parts)}",  # type: ignore[no-untyped-call]
                                output_type="pandas").iloc[0]
    return {"n": {"records": int(row["n"])}} | {
        place.label: {"place": int(row[f"place_{i}"]), "name": int(row[f"name_{i}"])}
        for i, place in enumerate(found)}


def _name_levels(settings: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any],
                                                      dict[str, Any]] | None:
    """(co-resident levels, exact, similar) of the last-name comparison, if it has them."""
    for comparison in settings["comparisons"]:
        found = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        co = [lv for lv in found if lv.get("label_for_charts") in LABELS]
        if co:
            return co, found[len(co)], found[len(co) + 1]
    return None


def before_training(settings: dict[str, Any], counts: dict[str, dict[str, int]],
                    ) -> dict[str, Any]:
    """A first u for EM: the surname share among all pairs at one place (matches included,
    so the level's weight errs low while m is not yet known)."""
    found = _name_levels(settings)
    if found is None or not counts:
        return settings
    co, exact, similar = found
    plain_u = float(exact.get("u_probability") or 0) + float(similar.get("u_probability") or 0)
    for level in co:
        count = counts[level["label_for_charts"]]
        share = count["name"] / count["place"] if count["place"] > 0 else 0.0
        level["u_probability"] = min(max(share, plain_u), 1.0)
    return settings


def split_m(settings: dict[str, Any]) -> tuple[dict[str, Any], dict[str, float]]:
    """After EM: each co-resident level's m becomes P(similar last name | match), and the exact
    and similar levels' m the same chances elsewhere (EM split them by place; for a true match
    the name agrees as often either way). Returns P(same place | match) per level."""
    found = _name_levels(settings)
    if found is None:
        return settings, {}
    co, exact, similar = found
    co_m = [float(lv.get("m_probability") or 0) for lv in co]
    total = sum(co_m) + float(exact["m_probability"]) + float(similar["m_probability"])
    if total <= 0:
        return settings, {}
    elsewhere = max(1.0 - sum(co_m) / total, 1e-9)
    exact["m_probability"] = float(exact["m_probability"]) / elsewhere
    similar["m_probability"] = float(similar["m_probability"]) / elsewhere
    for level in co:
        level["m_probability"] = total
    return settings, {lv["label_for_charts"]: m / total for lv, m in zip(co, co_m, strict=True)}


def set_u(settings: dict[str, Any], counts: dict[str, dict[str, int]],
          at_place: dict[str, float]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Each co-resident level's u from the counts and the final prior (module docstring);
    returns the settings and what was counted, for the model's details."""
    found = _name_levels(settings)
    if found is None or not counts or not at_place:
        return settings, {}
    co, exact, similar = found
    exact_m, total = float(exact["m_probability"]), float(co[0]["m_probability"])
    plain_u = float(exact.get("u_probability") or 0) + float(similar.get("u_probability") or 0)
    records = counts["n"]["records"]
    pairs = float(settings["probability_two_random_records_match"]) * records * (records - 1) / 2
    counted: dict[str, Any] = {}
    for level in co:
        label = level["label_for_charts"]
        count, matches = counts[label], pairs * at_place[label]
        strangers, share = count["place"] - matches, plain_u
        if strangers >= MIN_PAIRS and exact_m > 0:
            shared = max(count["name"] - matches * exact_m, 0.0) / strangers
            share = shared * total / exact_m  # typos strike strangers' surnames as often
        level["u_probability"] = min(max(share, plain_u), 1.0)
        counted[label] = {"pairs": count["place"], "with_one_surname": count["name"],
                          "expected_matches": round(matches, 1),
                          "surname_share": round(level["u_probability"], 5)}
    return settings, counted
