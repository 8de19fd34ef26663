"""Identified rows of named nominal persons, limited to one partner's datasets.

`linked/links` maps (dataset, record_id) → person_id; only the matching identified rows are
kept (decrypted in memory, filtered in Arrow, never written anywhere).
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import select

from odahub.catalog.tables.core import Dataset, Partner
from odahub.hub import Hub
from odahub.model import load_model

REVEALED_EXTRA = ("sex",)


def partner_datasets(hub: Hub, partner: str) -> set[str]:
    with hub.catalog.session() as session:
        query = select(Dataset.name).join(Partner).where(Partner.code == partner)
        return set(session.scalars(query))


def subject_links(hub: Hub, subjects: list[str], datasets: set[str]) -> pa.Table:
    if hub.lake.latest("linked", "links") is None:
        return pa.table({"dataset": pa.array([], pa.string()),
                         "record_id": pa.array([], pa.string()),
                         "person_id": pa.array([], pa.string())})
    links = hub.lake.read_latest("linked", "links", columns=["dataset", "record_id", "person_id"])
    keep = pc.and_(pc.is_in(links["person_id"], value_set=pa.array(subjects, pa.string())),
                   pc.is_in(links["dataset"], value_set=pa.array(sorted(datasets), pa.string())))
    return links.filter(keep)


def identified_records(hub: Hub, subjects: list[str], partner: str) -> pa.Table:
    """One row per linked record: person_id, dataset, record_id and its identifier columns."""
    links = subject_links(hub, subjects, partner_datasets(hub, partner))
    wanted = [*load_model().direct_identifiers, *REVEALED_EXTRA]
    parts: list[pa.Table] = []
    for dataset in sorted(set(links["dataset"].to_pylist())):
        mine = links.filter(pc.equal(links["dataset"], dataset))
        table = hub.lake.read_latest("identified", dataset)
        rows = table.filter(pc.is_in(table["record_id"].cast(pa.string()),
                                     value_set=mine["record_id"].cast(pa.string())))
        person = pc.take(mine["person_id"], pc.index_in(rows["record_id"].cast(pa.string()),
                                                        value_set=mine["record_id"].cast(
                                                            pa.string())))
        columns = {"person_id": person, "dataset": rows["dataset"].cast(pa.string()),
                   "record_id": rows["record_id"].cast(pa.string())}
        columns.update({c: rows[c].cast(pa.string()) for c in wanted if c in rows.column_names})
        parts.append(pa.table(columns))
    if not parts:
        return pa.table({"person_id": pa.array([], pa.string()),
                         "dataset": pa.array([], pa.string()),
                         "record_id": pa.array([], pa.string())})
    return pa.concat_tables(parts, promote_options="default")
