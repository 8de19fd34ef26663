"""The linked zone: what the link stage hands on (contracts.md), plus its own working tables.

linked/links       dataset, record_id, person_id, household_id, match_probability
linked/households  household_id, person_id, valid_from, valid_to, uprn_token
linked/id_history  old_id, new_id, change, run, at  (cumulative)
linked/pairs       unique_id_l, unique_id_r, match_weight, match_probability — scored pairs
                   above the review band, so incremental runs re-cluster without re-scoring.
No direct identifiers: records are named by dataset and record_id only.
"""

from __future__ import annotations

import pyarrow as pa

from odahub.hub import Hub

LINKS = pa.schema([("dataset", pa.string()), ("record_id", pa.string()),
                   ("person_id", pa.string()), ("household_id", pa.string()),
                   ("match_probability", pa.float64())])
HOUSEHOLDS = pa.schema([("household_id", pa.string()), ("person_id", pa.string()),
                        ("valid_from", pa.date32()), ("valid_to", pa.date32()),
                        ("uprn_token", pa.string())])
HISTORY = pa.schema([("old_id", pa.string()), ("new_id", pa.string()), ("change", pa.string()),
                     ("run", pa.int64()), ("at", pa.timestamp("us"))])
PAIRS = pa.schema([("unique_id_l", pa.string()), ("unique_id_r", pa.string()),
                   ("match_weight", pa.float64()), ("match_probability", pa.float64())])
SCHEMAS = {"links": LINKS, "households": HOUSEHOLDS, "id_history": HISTORY, "pairs": PAIRS}


def read(hub: Hub, name: str) -> pa.Table:
    """The latest version of a linked table, or an empty table of its schema."""
    if hub.lake.latest("linked", name) is None:
        return SCHEMAS[name].empty_table()
    return hub.lake.read_latest("linked", name).select(SCHEMAS[name].names).cast(SCHEMAS[name])


def write(hub: Hub, tables: dict[str, pa.Table], run_id: int) -> dict[str, int]:
    """Write each table as a new version; returns the version numbers."""
    versions: dict[str, int] = {}
    for name, table in tables.items():
        conformed = table.select(SCHEMAS[name].names).cast(SCHEMAS[name])
        with hub.lake.new_version("linked", name, created_by=f"link run {run_id}",
                                  rows_read=conformed.num_rows,
                                  rows_accepted=conformed.num_rows) as writer:
            writer.write_table(conformed)
        versions[name] = int(writer.stats["version"])
    return versions
