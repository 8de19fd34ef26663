"""Build the one linkage input: every identified dataset unioned on the canonical link roles.

Each dataset contributes the roles it has (nulls elsewhere). Values are already standardised by
ingest (contracts.md); here we only derive what comparisons and blocking need: phonetic codes,
nickname groups, a DOB string and birth year, and a cleaned address.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from odahub.engine import Engine
from odahub.hub import Hub
from odahub.link import names
from odahub.model import load_model

# Roles used by households rather than by the person model.
CONTEXT_ROLES = ("event_date", "household_ref", "relationship")
STRING_ROLES = ("first_name", "last_name", "sex", "postcode", "address", "uprn", "nhs_number",
                "ni_number", "phone", "email", "other_id", "household_ref", "relationship")


@dataclass
class LinkInput:
    """The prepared records (one row per source record) and the link roles found in them."""

    records: pa.Table
    roles: list[str]

    @property
    def size(self) -> int:
        return int(self.records.num_rows)


def link_roles() -> list[str]:
    """The canonical roles person linkage compares (full_name is split by ingest)."""
    return [r for r in load_model().link_roles if r != "full_name"]


def identified_datasets(hub: Hub) -> list[str]:
    return hub.lake.tables("identified")


def read_union(hub: Hub, datasets: list[str] | None = None) -> pa.Table:
    """The latest identified version of each dataset, reduced to link and context roles."""
    wanted = [*link_roles(), *CONTEXT_ROLES]
    parts: list[pa.Table] = []
    for name in datasets if datasets is not None else identified_datasets(hub):
        table = hub.lake.read_latest("identified", name)
        if not {"dataset", "record_id"} <= set(table.schema.names):
            continue  # not a partner dataset (nothing to link)
        keep = ["dataset", "record_id", *[c for c in wanted if c in table.schema.names]]
        parts.append(_conform(table.select(keep)))
    if not parts:
        return _conform(pa.table({"dataset": pa.array([], pa.string()),
                                  "record_id": pa.array([], pa.string())}))
    return pa.concat_tables(parts, promote_options="default")


def _conform(table: pa.Table) -> pa.Table:
    """Give every role a fixed type so that datasets union cleanly."""
    columns: dict[str, pa.Array | pa.ChunkedArray] = {}
    for name in table.schema.names:
        column = table.column(name)
        if name in ("date_of_birth", "event_date"):
            columns[name] = column.cast(pa.date32())
        else:
            columns[name] = column.cast(pa.string())
    return pa.table(columns)


def prepare(hub: Hub, union: pa.Table, roles: list[str] | None = None) -> LinkInput:
    """Derive comparison columns in SQL on the hub's engine; returns the Splink input.

    `roles`: derive exactly these (a role the union lacks is null), so that a new delivery's
    rows line up with rows prepared before; by default, the roles the union has."""
    engine = hub.engine
    present = [r for r in link_roles() if r in union.schema.names
               and union.column(r).null_count < union.num_rows]
    if roles is not None:
        for role in roles:
            if role not in union.schema.names:
                kind = pa.date32() if role == "date_of_birth" else pa.string()
                union = union.append_column(role, pa.nulls(union.num_rows, kind))
        present = list(roles)
    engine.register("link_union", union)
    try:
        lookups = _register_name_lookups(engine, present)
        query = _derive_sql(present, [c for c in CONTEXT_ROLES if c in union.schema.names])
        records = engine.sql(query)
    finally:
        engine.unregister("link_union")
        for table in lookups:
            engine.unregister(table)
    return LinkInput(records=records, roles=present)


def _register_name_lookups(engine: Engine, present: list[str]) -> list[str]:
    registered = []
    if "first_name" in present:
        distinct = engine.sql("SELECT DISTINCT first_name FROM link_union "
                              "WHERE first_name IS NOT NULL").column(0).to_pylist()
        engine.register("link_first_names", names.first_name_lookup(distinct))
        registered.append("link_first_names")
    if "last_name" in present:
        distinct = engine.sql("SELECT DISTINCT last_name FROM link_union "
                              "WHERE last_name IS NOT NULL").column(0).to_pylist()
        engine.register("link_last_names", names.last_name_lookup(distinct))
        registered.append("link_last_names")
    return registered


def _derive_sql(present: list[str], context: list[str]) -> str:
    select = ["u.dataset || ':' || u.record_id AS unique_id", "u.dataset", "u.record_id"]
    joins = []
    for role in present:
        if role == "date_of_birth":
            select += ["strftime(u.date_of_birth, '%Y-%m-%d') AS date_of_birth",
                       "CAST(year(u.date_of_birth) AS INTEGER) AS birth_year"]
        elif role == "sex":
            select.append("CASE WHEN u.sex IN ('M', 'F') THEN u.sex END AS sex")
        elif role == "address":
            select += ["NULLIF(trim(regexp_replace(upper(u.address), '[^A-Z0-9]+', ' ', 'g')),"
                       " '') AS address",
                       "NULLIF(regexp_extract(u.address, '[0-9]+', 0), '') AS address_number",
                       # its words in sorted order: the same address written in another order
                       "NULLIF(array_to_string(list_sort(string_split(trim(regexp_replace("
                       "upper(u.address), '[^A-Z0-9]+', ' ', 'g')), ' ')), ' '), '') "
                       "AS address_words",
                       # its numbers, where it has two or more (house and flat, or a postcode
                       # written into the line): they nearly name the address, where a lone
                       # house number is shared by much of a town
                       "CASE WHEN array_length(regexp_extract_all(u.address, '[0-9]+')) >= 2 THEN "
                       "array_to_string(regexp_extract_all(u.address, '[0-9]+'), ' ') END "
                       "AS address_numbers"]
        elif role == "postcode":
            select += ["NULLIF(trim(u.postcode), '') AS postcode",
                       # the sector (all but the last two characters) and district (outward
                       # code); a partial postcode ("OD3") is its own district
                       "CASE WHEN length(trim(u.postcode)) >= 5 THEN "
                       "substr(trim(u.postcode), 1, length(trim(u.postcode)) - 2) END "
                       "AS postcode_sector",
                       "NULLIF(split_part(trim(u.postcode), ' ', 1), '') AS postcode_district"]
        elif role == "other_id":
            select += ["NULLIF(trim(u.other_id), '') AS other_id",
                       "regexp_replace(regexp_replace(upper(trim(u.other_id)), '[0-9]', '9', 'g'),"
                       " '[A-Z]', 'A', 'g') AS other_id_kind"]
        else:
            select.append(f"NULLIF(trim(u.{role}), '') AS {role}")
    if "first_name" in present:
        select += ["fn.phonetic AS first_name_ph", "fn.nicknames AS first_name_nicks"]
        joins.append("LEFT JOIN link_first_names fn ON fn.name = u.first_name")
    if "last_name" in present:
        select.append("ln.phonetic AS last_name_ph")
        # both names in alphabetical order: equal when the names agree or are swapped
        select.append("CASE WHEN NULLIF(trim(u.first_name), '') IS NOT NULL "
                      "AND NULLIF(trim(u.last_name), '') IS NOT NULL THEN "
                      "least(trim(u.first_name), trim(u.last_name)) || ' ' || "
                      "greatest(trim(u.first_name), trim(u.last_name)) END AS names_sorted"
                      if "first_name" in present else "CAST(NULL AS VARCHAR) AS names_sorted")
        joins.append("LEFT JOIN link_last_names ln ON ln.name = u.last_name")
    select += [f"u.{c}" for c in context]
    return (f"SELECT {', '.join(select)} FROM link_union u {' '.join(joins)} "
            "ORDER BY unique_id")
