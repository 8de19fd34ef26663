"""identified/<dataset> → pseudonymised/<dataset>: derive, tokenise, redact.

Quasi-identifiers analysts need (birth year and month, output area, LSOA, ward) are derived from
the identified values first; then every direct identifier column becomes a token under the
linkage domain's key, and free text is redacted. The identified table is decrypted in memory only.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from odahub.catalog.tables.core import DatasetVersion
from odahub.hub import Hub
from odahub.model import load_model
from odahub.privacy.domains import active_key
from odahub.privacy.households import gazetteer, record_names
from odahub.privacy.tokens import tokenise_columns

GEOGRAPHY = ("oa_code", "lsoa_code", "ward_code")
TEXT_COLUMNS = ("free_text",)


@dataclass
class Outcome:
    dataset: str
    version: int | None
    rows: int = 0
    tokens: int = 0
    texts: int = 0
    token_seconds: float = 0.0
    redact_seconds: float = 0.0
    skipped: bool = False


def direct_columns(table: pa.Table) -> list[str]:
    return [name for name in load_model().direct_identifiers if name in table.column_names]


def derive_birth(table: pa.Table) -> pa.Table:
    if "date_of_birth" in table.column_names:
        born = table["date_of_birth"]
        if not pa.types.is_date(born.type) and not pa.types.is_timestamp(born.type):
            born = pc.cast(born, pa.date32(), safe=False)
        year, month = pc.year(born).cast(pa.int16()), pc.month(born).cast(pa.int8())
    else:
        year = pa.nulls(table.num_rows, pa.int16())
        month = pa.nulls(table.num_rows, pa.int8())
    return table.append_column("birth_year", year).append_column("birth_month", month)


def postcode_key(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    return pc.utf8_upper(pc.replace_substring(pc.cast(values, pa.string()), " ", ""))


def derive_geography(table: pa.Table, postcodes: pa.Table | None) -> pa.Table:
    """Output area, LSOA and ward from the postcode directory (nulls where unknown)."""
    if postcodes is None or "postcode" not in table.column_names or postcodes.num_rows == 0:
        for name in GEOGRAPHY:
            table = table.append_column(name, pa.nulls(table.num_rows, pa.string()))
        return table
    position = pc.index_in(postcode_key(table["postcode"]),
                           value_set=postcode_key(postcodes["postcode"]).combine_chunks())
    for name in GEOGRAPHY:
        column = (postcodes[name].cast(pa.string()) if name in postcodes.column_names
                  else pa.nulls(postcodes.num_rows, pa.string()))
        table = table.append_column(name, pc.take(column, position))
    return table


def reference_postcodes(hub: Hub) -> pa.Table | None:
    if hub.lake.latest("reference", "postcodes") is None:
        return None
    return hub.lake.read_latest("reference", "postcodes")


def redact_text(table: pa.Table, outcome: Outcome, names_known: frozenset[str]) -> pa.Table:
    columns = [c for c in TEXT_COLUMNS if c in table.column_names]
    if not columns:
        return table
    from odahub.privacy.redact import redact_many  # Presidio loads only when there is text

    names = record_names(table)
    started = time.perf_counter()
    for name in columns:
        texts = table[name].cast(pa.string()).to_pylist()
        outcome.texts += sum(1 for text in texts if text)
        redacted = pa.array(redact_many(texts, names, names_known), pa.string())
        table = table.set_column(table.schema.get_field_index(name), name, redacted)
    outcome.redact_seconds += time.perf_counter() - started
    return table


def pseudonymise_table(table: pa.Table, key_id: str, key: bytes, postcodes: pa.Table | None,
                       outcome: Outcome, names_known: frozenset[str] = frozenset()) -> pa.Table:
    table = derive_geography(derive_birth(table), postcodes)
    # before tokenising: the deny list needs the names
    table = redact_text(table, outcome, names_known)
    columns = direct_columns(table)
    started = time.perf_counter()
    table = tokenise_columns(table, columns, key)
    outcome.token_seconds += time.perf_counter() - started
    outcome.tokens += sum(table.num_rows - table[c].null_count for c in columns)
    outcome.rows = table.num_rows
    return table.append_column("_key_id", pa.array([key_id] * table.num_rows, pa.string()))


def is_current(hub: Hub, dataset: str, source: DatasetVersion, key_id: str) -> bool:
    latest = hub.lake.latest("pseudonymised", dataset)
    return (latest is not None and latest.source_version == source.version
            and (latest.details or {}).get("key_id") == key_id)


def known_names(hub: Hub) -> frozenset[str]:
    """The name gazetteer: every name word in the identified zone's latest versions."""
    return gazetteer([hub.lake.read_latest("identified", name)
                      for name in hub.lake.tables("identified")])


def pseudonymise(hub: Hub, dataset: str, domain: str, *, force: bool = False,
                 postcodes: pa.Table | None = None,
                 names_known: frozenset[str] | None = None) -> Outcome:
    """Write pseudonymised/<dataset> from its latest identified version (skips if current)."""
    source = hub.lake.require_latest("identified", dataset)
    key_id, key = active_key(hub, domain)
    outcome = Outcome(dataset=dataset, version=None)
    if not force and is_current(hub, dataset, source, key_id):
        outcome.skipped = True
        return outcome
    table = pseudonymise_table(hub.lake.read_table(source), key_id, key,
                               postcodes if postcodes is not None else reference_postcodes(hub),
                               outcome, names_known if names_known is not None else
                               known_names(hub))
    with hub.lake.new_version(
        "pseudonymised", dataset, dataset_id=source.dataset_id, created_by="privacy",
        source_version=source.version, rows_read=source.rows_accepted,
        rows_accepted=table.num_rows, spec_version=source.spec_version,
        details={"key_id": key_id, "domain": domain, "tokens": outcome.tokens,
                 "texts_redacted": outcome.texts},
    ) as writer:
        writer.write_table(table)
    outcome.version = int(writer.stats["version"])
    return outcome
