"""Splink comparisons and blocking rules, driven by the canonical roles present in the input.

No per-feed code: each role kind has one comparison; a dataset simply contributes the roles it
has and the others compare as null (match weight 0).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import block_on
from splink.internals.blocking_rule_creator import BlockingRuleCreator
from splink.internals.comparison_creator import ComparisonCreator
from splink.internals.comparison_level_creator import ComparisonLevelCreator
from splink.internals.dialects import SplinkDialect

from odahub.engine import Engine
from odahub.link import coresidents

PAIRS_PER_RECORD = 20
# Jaro-Winkler similarity at which a first name "is" the other record's last name (a swap).
SWAP_SIMILARITY = 0.88

# Day and month swapped, same year: a classic keying error (dates are 'YYYY-MM-DD' strings).
DOB_TRANSPOSED = (
    "substr(date_of_birth_l, 1, 4) = substr(date_of_birth_r, 1, 4) "
    "AND substr(date_of_birth_l, 6, 2) = substr(date_of_birth_r, 9, 2) "
    "AND substr(date_of_birth_l, 9, 2) = substr(date_of_birth_r, 6, 2)")


class SwappedNamesLevel(ComparisonLevelCreator):
    """First and last name entered the wrong way round, each allowing a typo: each record's
    first name is similar to the other's last name and vice versa (`both`), or either way round
    (one name was swapped into the other field and the other lost). Symmetric, so it does not
    depend on which record Splink puts left; written per dialect, like Splink's own levels."""

    def __init__(self, both: bool = True, threshold: float = SWAP_SIMILARITY) -> None:
        self.both = both
        self.threshold = threshold

    def create_sql(self, sql_dialect: SplinkDialect) -> str:
        jw = sql_dialect.jaro_winkler_function_name
        joiner = "AND" if self.both else "OR"
        return (f"({jw}(first_name_l, last_name_r) >= {self.threshold} "
                f"{joiner} {jw}(last_name_l, first_name_r) >= {self.threshold})")

    def create_label_for_charts(self) -> str:
        return ("First and last names swapped" if self.both
                else "A name in the other name field")


def _first_name() -> ComparisonCreator:
    return cl.CustomComparison(output_column_name="first_name", comparison_levels=[
        cll.NullLevel("first_name"),
        cll.ExactMatchLevel("first_name").configure(tf_adjustment_column="first_name"),
        cll.JaroWinklerLevel("first_name", 0.92),
        cll.ArrayIntersectLevel("first_name_nicks", 1).configure(
            label_for_charts="Nickname of each other"),
        cll.ExactMatchLevel("first_name_ph").configure(label_for_charts="Same metaphone"),
        SwappedNamesLevel(),
        SwappedNamesLevel(both=False),
        cll.JaroWinklerLevel("first_name", 0.8),
        cll.ElseLevel(),
    ])


def _last_name(roles: list[str]) -> ComparisonCreator:
    return cl.CustomComparison(output_column_name="last_name", comparison_levels=[
        cll.NullLevel("last_name"),
        *coresidents.levels(roles),   # households share a surname (ADR 0077)
        cll.ExactMatchLevel("last_name").configure(tf_adjustment_column="last_name"),
        cll.JaroWinklerLevel("last_name", 0.92),
        # a swap is one fact, weighed once (under first_name): here it carries no weight
        SwappedNamesLevel().configure(is_null_level=True,
                                      label_for_charts="Names swapped (weighed under first name)"),
        cll.ExactMatchLevel("last_name_ph").configure(label_for_charts="Same metaphone"),
        cll.JaroWinklerLevel("last_name", 0.8),
        cll.ElseLevel(),
    ])


def _date_of_birth() -> ComparisonCreator:
    return cl.CustomComparison(output_column_name="date_of_birth", comparison_levels=[
        cll.NullLevel("date_of_birth"),
        cll.ExactMatchLevel("date_of_birth"),
        cll.CustomLevel(DOB_TRANSPOSED, label_for_charts="Day and month transposed",
                        base_dialect_str="duckdb"),
        cll.LevenshteinLevel("date_of_birth", 1).configure(
            label_for_charts="One character different"),
        cll.ExactMatchLevel("birth_year").configure(label_for_charts="Same year of birth"),
        cll.ElseLevel(),
    ])


def _postcode() -> ComparisonCreator:
    return cl.CustomComparison(output_column_name="postcode", comparison_levels=[
        cll.NullLevel("postcode"),
        cll.ExactMatchLevel("postcode").configure(tf_adjustment_column="postcode"),
        cll.ExactMatchLevel("postcode_sector").configure(label_for_charts="Same sector"),
        cll.ExactMatchLevel("postcode_district").configure(label_for_charts="Same district"),
        cll.ElseLevel(),
    ])


def _location() -> ComparisonCreator:
    """Postcode and address as one comparison where both roles exist: an exact address already
    implies its postcode, so two separate comparisons would count one fact twice (and make
    everyone at an address look like one person)."""
    both_null = ("(postcode_l IS NULL OR postcode_r IS NULL) "
                 "AND (address_l IS NULL OR address_r IS NULL)")
    return cl.CustomComparison(output_column_name="location", comparison_levels=[
        cll.CustomLevel(both_null, label_for_charts="No postcode or address to compare",
                        base_dialect_str="duckdb").configure(is_null_level=True),
        cll.ExactMatchLevel("address").configure(tf_adjustment_column="address"),
        cll.And(cll.ExactMatchLevel("postcode"), cll.ExactMatchLevel("address_number")
                ).configure(label_for_charts="Same postcode and house number"),
        cll.JaroWinklerLevel("address", 0.9),
        cll.ExactMatchLevel("address_words").configure(label_for_charts="Same words, reordered"),
        cll.ExactMatchLevel("postcode").configure(label_for_charts="Same postcode"),
        cll.ExactMatchLevel("postcode_sector").configure(label_for_charts="Same sector"),
        cll.ExactMatchLevel("postcode_district").configure(label_for_charts="Same district"),
        cll.ElseLevel(),
    ])


def _address() -> ComparisonCreator:
    return cl.CustomComparison(output_column_name="address", comparison_levels=[
        cll.NullLevel("address"),
        cll.ExactMatchLevel("address"),
        cll.JaroWinklerLevel("address", 0.9),
        cll.ExactMatchLevel("address_words").configure(label_for_charts="Same words, reordered"),
        cll.JaroWinklerLevel("address_words", 0.9).configure(
            label_for_charts="Similar words, reordered"),
        cll.And(cll.ExactMatchLevel("address_number"), cll.JaroWinklerLevel("address", 0.7)
                ).configure(label_for_charts="Same house number, similar address"),
        cll.JaroWinklerLevel("address", 0.75),
        cll.ElseLevel(),
    ])


def _identifier(role: str) -> Callable[[], ComparisonCreator]:
    """Identifiers: exact, one typo or transposition, else (a wrong id is strong evidence)."""
    def make() -> ComparisonCreator:
        return cl.CustomComparison(output_column_name=role, comparison_levels=[
            cll.NullLevel(role),
            cll.ExactMatchLevel(role),
            cll.DamerauLevenshteinLevel(role, 1),
            cll.DamerauLevenshteinLevel(role, 2),
            cll.ElseLevel(),
        ])
    return make


def _other_id() -> ComparisonCreator:
    """Another source's own id: comparable only with ids of the same kind (shape), since a
    school's pupil number and a probation case number never agree and prove nothing."""
    different_kind = ("other_id_l IS NULL OR other_id_r IS NULL "
                      "OR other_id_kind_l <> other_id_kind_r")
    return cl.CustomComparison(output_column_name="other_id", comparison_levels=[
        cll.CustomLevel(different_kind, label_for_charts="Null or ids of different kinds",
                        base_dialect_str="duckdb").configure(is_null_level=True),
        cll.ExactMatchLevel("other_id"),
        cll.DamerauLevenshteinLevel("other_id", 1),
        cll.DamerauLevenshteinLevel("other_id", 2),
        cll.ElseLevel(),
    ])


def _exact(role: str) -> Callable[[], ComparisonCreator]:
    return lambda: cl.ExactMatch(role)


COMPARISONS: dict[str, Callable[[], ComparisonCreator]] = {
    "first_name": _first_name,
    "last_name": lambda: _last_name([]),
    "date_of_birth": _date_of_birth,
    "sex": _exact("sex"),
    "postcode": _postcode,
    "address": _address,
    "uprn": _exact("uprn"),
    "nhs_number": _identifier("nhs_number"),
    "ni_number": _identifier("ni_number"),
    "phone": _identifier("phone"),
    "email": lambda: cl.EmailComparison("email"),
    "other_id": _other_id,
}

# Blocking: a union of rules, each needing the roles it names. Exact identifiers find pairs
# whose names/DOB are wrong; the name/DOB rules find pairs without shared identifiers; the
# address rules cover feeds without DOB. Each is tight enough to keep candidate pairs bounded.
BLOCKING: list[tuple[str, ...]] = [
    ("nhs_number",),
    ("ni_number",),
    ("email",),
    ("phone",),
    ("other_id",),
    ("first_name", "last_name"),
    ("names_sorted",),
    ("date_of_birth", "first_name_ph"),
    ("date_of_birth", "last_name_ph"),
    ("first_name_ph", "last_name_ph", "birth_year"),
    ("date_of_birth", "postcode"),
    ("date_of_birth", "uprn"),
    ("date_of_birth", "address_number"),
    ("postcode", "first_name_ph"),
    ("postcode", "last_name_ph"),
    ("uprn", "first_name_ph"),
    ("address", "last_name_ph"),
]
# Broader rules, used only where the data makes them affordable (see `affordable`).
OPTIONAL_BLOCKING: list[tuple[str, ...]] = [
    ("first_name",), ("last_name",), ("date_of_birth",), ("postcode", "address_number"),
    ("address_numbers",),
]
# Columns a blocking rule may need, and the role that provides them.
DERIVED = {"first_name_ph": "first_name", "last_name_ph": "last_name",
           "birth_year": "date_of_birth", "address_number": "address", "address_words": "address",
           "address_numbers": "address", "names_sorted": "last_name",
           "postcode_sector": "postcode", "postcode_district": "postcode"}

# EM sessions: each estimates every comparison not named in its blocking rule (Splink averages
# a comparison's estimates over sessions). Pairs blocked on a shared identifier are nearly all
# true matches, so they estimate m cleanly; pairs blocked on a name or postcode include parents,
# children and siblings (same surname and address, often the same first name), who teach EM
# that a date of birth disagreeing is common. Those sessions are used only as a fallback.
TRAINING: list[tuple[str, ...]] = [("date_of_birth",)]
IDENTIFIER_TRAINING: list[tuple[str, ...]] = [("nhs_number",), ("ni_number",), ("other_id",)]
FALLBACK_TRAINING: list[tuple[str, ...]] = [("postcode",), ("first_name", "last_name")]


def _available(columns: tuple[str, ...], roles: list[str]) -> bool:
    return all(DERIVED.get(column, column) in roles for column in columns)


def comparisons_for(roles: list[str], co_residents: bool = True,
                    ) -> list[ComparisonCreator | dict[str, Any]]:
    """One comparison per role kind (`co_residents=False`: without the co-resident level,
    whose u plain Splink cannot estimate; for the benchmarks' plain Splink baseline)."""
    made: list[ComparisonCreator | dict[str, Any]] = []
    for role in (r for r in COMPARISONS if r in roles):
        if "postcode" in roles and "address" in roles:
            if role == "postcode":
                made.append(_location())
            if role in ("postcode", "address"):
                continue
        made.append(_last_name(roles if co_residents else []) if role == "last_name"
                    else COMPARISONS[role]())
    return made


def blocking_columns(roles: list[str], extra: list[list[str]] | None = None,
                     ) -> list[tuple[str, ...]]:
    """The column lists of the blocking rules for these roles (plus affordable extras)."""
    chosen = [cols for cols in BLOCKING if _available(cols, roles)]
    chosen += [tuple(cols) for cols in extra or [] if tuple(cols) not in chosen]
    return chosen


def blocking_rules_for(roles: list[str], extra: list[list[str]] | None = None,
                       ) -> list[BlockingRuleCreator | dict[str, Any]]:
    return [block_on(*cols) for cols in blocking_columns(roles, extra)]


def affordable(engine: Engine, records: str, roles: list[str], size: int,
               per_record: int = PAIRS_PER_RECORD) -> list[list[str]]:
    """Optional rules whose candidate pairs stay within `per_record` per record.

    Counted exactly in SQL as the sum of n(n-1)/2 over the rule's blocks, so the cost of a
    broad rule is known before any pair is built: recall where the data allows, bounded cost.
    """
    chosen = []
    for cols in OPTIONAL_BLOCKING:
        if not _available(cols, roles):
            continue
        keys = ", ".join(cols)
        nonnull = " AND ".join(f"{c} IS NOT NULL" for c in cols)
        pairs = engine.scalar(f"SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM (SELECT count(*) "
                              f"AS n FROM {records} WHERE {nonnull} GROUP BY {keys}) blocks")
        if float(pairs or 0) <= per_record * max(size, 1):
            chosen.append(list(cols))
    return chosen


def training_blocks_for(roles: list[str]) -> list[BlockingRuleCreator]:
    """The date-of-birth session, one identifier session, and fallbacks up to two sessions."""
    sessions = [cols for cols in TRAINING if _available(cols, roles)]
    sessions += [cols for cols in IDENTIFIER_TRAINING if _available(cols, roles)][:1]
    for cols in FALLBACK_TRAINING:
        if len(sessions) < 2 and _available(cols, roles):
            sessions.append(cols)
    return [block_on(*cols) for cols in sessions]


DETERMINISTIC: list[tuple[str, ...]] = [
    ("first_name", "last_name", "date_of_birth"), ("nhs_number",), ("ni_number",)]
DETERMINISTIC_COLUMNS = sorted({c for rule in DETERMINISTIC for c in rule})


def deterministic_columns_for(roles: list[str]) -> list[tuple[str, ...]]:
    return [cols for cols in DETERMINISTIC if _available(cols, roles)]


def deterministic_rules_for(roles: list[str]) -> list[str | BlockingRuleCreator]:
    """Rules that almost only pair true matches, for estimating the prior (λ)."""
    return [block_on(*cols) for cols in deterministic_columns_for(roles)]
