"""A small hand-written identified dataset for tests that don't need the synthetic county."""

from __future__ import annotations

from datetime import date

import pyarrow as pa

from odahub.hub import Hub

NOTES = [
    "Visited Jane Doe (DOB 12/03/2010, NHS 943 476 5919) at 14 Acacia Avenue, Barton BA1 2CD. "
    "Mum Sarah called from 07700 900123 and emailed sarah.doe@example.com. NI AB 12 34 56 C.",
    "Car AB12 CDE seen outside. Tom said his sister Jane was not at school.",
    None,
]


def identified_table() -> pa.Table:
    return pa.table({
        "dataset": ["social_care"] * 3,
        "record_id": ["R1", "R2", "R3"],
        "first_name": ["JANE", "TOM", "JANE"],
        "last_name": ["DOE", "DOE", "DOE"],
        "date_of_birth": pa.array([date(2010, 3, 12), date(2012, 7, 1), date(2010, 3, 12)]),
        "sex": ["F", "M", "F"],
        "postcode": ["BA1 2CD", "BA1 2CD", None],
        "nhs_number": ["9434765919", None, "9434765919"],
        "household_ref": ["H9", "H9", "H9"],
        "free_text": NOTES,
        "_flags": pa.array([[], [], []], pa.list_(pa.string())),
    })


def postcodes_table() -> pa.Table:
    return pa.table({"postcode": ["BA1 2CD"], "oa_code": ["E00000001"],
                     "lsoa_code": ["E01000001"], "ward_code": ["E05000001"],
                     "latitude": [51.0], "longitude": [-2.0]})


def write_identified(hub: Hub, name: str = "social_care", table: pa.Table | None = None) -> int:
    with hub.lake.new_version("identified", name, rows_accepted=3) as writer:
        writer.write_table(table if table is not None else identified_table())
    return int(writer.stats["version"])


def write_postcodes(hub: Hub) -> None:
    with hub.lake.new_version("reference", "postcodes") as writer:
        writer.write_table(postcodes_table())
