"""Households: persons who share an address over overlapping periods, or a source's family ref.

A *stay* is one person at one address key, from the first to the last record dated there. Two
stays at the same address whose periods overlap (with a year's slack: records are sparse samples
of where someone lives) are in one household; so are stays under the same source household
reference. Households are the connected components of stays, so they change over time: a
person who moves ends one membership (valid_to) and starts another (valid_from).
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from odahub.engine import Engine
from odahub.lake import Lake

SLACK_DAYS = 365


def address_key_sql(columns: list[str]) -> str:
    """An address key: UPRN, else postcode + house number, else the cleaned address."""
    parts = []
    if "uprn" in columns:
        parts.append("'U:' || uprn")
    if "postcode" in columns and "address" in columns:
        parts.append("'N:' || postcode || '|' || "
                     "NULLIF(regexp_extract(address, '[0-9]+[A-Z]?', 0), '')")
    if "address" in columns:
        parts.append("'A:' || address")
    if "household_ref" in columns:
        parts.append("'R:' || dataset || '|' || household_ref")
    return f"coalesce({', '.join(parts)})" if parts else "CAST(NULL AS VARCHAR)"


def keyed_records(engine: Engine, records: str, columns: list[str]) -> pa.Table:
    """(unique_id, stay_id, person_id, address_key, day, ref) from a records view with
    person_id. A record without an address of its own (a school return with a postcode only)
    takes the person's usual address: the key most of their records give; a person with no
    address anywhere has a stay of their own."""
    date = "event_date" if "event_date" in columns else "CAST(NULL AS DATE)"
    ref = ("CASE WHEN household_ref IS NOT NULL THEN dataset || '|' || household_ref END"
           if "household_ref" in columns else "CAST(NULL AS VARCHAR)")
    return engine.sql(f"""
        WITH own AS (
            SELECT unique_id, person_id, {address_key_sql(columns)} AS address_key,
                   {date} AS day, {ref} AS ref
            FROM {records}
        ), usual AS (
            SELECT person_id, address_key, row_number() OVER (
                PARTITION BY person_id ORDER BY count(*) DESC, address_key) AS rank
            FROM own WHERE address_key IS NOT NULL GROUP BY person_id, address_key
        ), keyed AS (
            SELECT o.unique_id, o.person_id,
                   coalesce(o.address_key, u.address_key, 'S:' || o.person_id) AS address_key,
                   o.day, o.ref
            FROM own o LEFT JOIN usual u ON u.person_id = o.person_id AND u.rank = 1
        )
        SELECT unique_id, person_id || '@' || address_key AS stay_id, person_id, address_key,
               day, ref
        FROM keyed
    """)


def household_stays(engine: Engine, keyed: str) -> pa.Table:
    """Stays (stay_id, person_id, address_key, valid_from, valid_to, ref)."""
    return engine.sql(f"""
        SELECT stay_id, person_id, address_key, min(day) AS valid_from, max(day) AS valid_to,
               min(ref) AS ref
        FROM {keyed} GROUP BY stay_id, person_id, address_key
        ORDER BY stay_id
    """)


def stay_edges(engine: Engine, stays: str) -> pa.Table:
    """Pairs of stays in one household: same address with overlapping periods, or same ref."""
    return engine.sql(f"""
        SELECT a.stay_id AS unique_id_l, b.stay_id AS unique_id_r
        FROM {stays} a JOIN {stays} b
          ON a.address_key = b.address_key AND a.stay_id < b.stay_id
        WHERE a.address_key NOT LIKE 'S:%'
          AND (a.valid_from IS NULL OR b.valid_to IS NULL
               OR a.valid_from <= b.valid_to + INTERVAL {SLACK_DAYS} DAY)
          AND (b.valid_from IS NULL OR a.valid_to IS NULL
               OR b.valid_from <= a.valid_to + INTERVAL {SLACK_DAYS} DAY)
        UNION ALL
        SELECT a.stay_id, b.stay_id
        FROM {stays} a JOIN {stays} b ON a.ref = b.ref AND a.stay_id < b.stay_id
    """)


def memberships_sql(stays: str, clusters: str, ids: str) -> str:
    """Per (household, person): the membership period, and the person's current household."""
    return f"""
        SELECT i.id AS household_id, s.person_id, min(s.valid_from) AS valid_from,
               max(s.valid_to) AS valid_to, min(s.address_key) AS address_key
        FROM {stays} s JOIN {clusters} c ON c.stay_id = s.stay_id
        JOIN {ids} i ON i.cluster_key = c.cluster_key
        GROUP BY i.id, s.person_id
    """


def uprn_tokens(lake: Lake, datasets: list[str]) -> pa.Table:
    """(address_key, uprn_token): the token of each UPRN-keyed address, from the pseudonymised
    zone (the privacy stage tokenises `uprn` there under the linkage domain's key, so the token
    joins with every pseudonymised dataset). Linkage never holds the key itself; a UPRN whose
    record has not been pseudonymised yet has no token."""
    parts = []
    pseudonymised = set(lake.tables("pseudonymised"))
    for name in datasets:
        if name not in pseudonymised:
            continue
        plain = lake.read_latest("identified", name)
        if "uprn" not in plain.schema.names:
            continue
        token = lake.read_latest("pseudonymised", name, ["record_id", "uprn"])
        joined = plain.select(["record_id", "uprn"]).join(
            token.rename_columns(["record_id", "uprn_token"]), "record_id")
        joined = joined.filter(pc.and_(pc.is_valid(joined["uprn"]),
                                       pc.is_valid(joined["uprn_token"])))
        parts.append(pa.table({
            "address_key": pc.binary_join_element_wise(
                "U:", pc.utf8_trim_whitespace(joined["uprn"].cast(pa.string())), ""),
            "uprn_token": joined["uprn_token"].cast(pa.string())}))
    if not parts:
        return pa.table({"address_key": pa.array([], pa.string()),
                         "uprn_token": pa.array([], pa.string())})
    return pa.concat_tables(parts).group_by("address_key").aggregate(
        [("uprn_token", "min")]).rename_columns(["address_key", "uprn_token"])


def with_uprn_tokens(memberships: pa.Table, tokens: pa.Table) -> pa.Table:
    """Memberships (with address_key) → the contract's household rows with `uprn_token`."""
    # Spark gives an all-null column the null type, which Arrow's join refuses: type it first
    for name in ("valid_from", "valid_to"):
        if pa.types.is_null(memberships.schema.field(name).type):
            memberships = memberships.set_column(
                memberships.schema.get_field_index(name), name,
                pa.nulls(memberships.num_rows, pa.date32()))
    joined = memberships.join(tokens, "address_key", join_type="left outer")
    return joined.select(["household_id", "person_id", "valid_from", "valid_to", "uprn_token"])
