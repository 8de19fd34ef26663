"""Key rotation: re-tokenise every zone holding a domain's tokens, then switch keys atomically.

1. A new key is added to the ring as *pending* (nothing uses it yet).
2. Every distinct identified value is tokenised under the old and the new key: a map old → new.
3. Each latest table with token columns (pseudonymised, linked, marts) is rewritten through the
   map into a hidden version. A token the map cannot translate stops the rotation: no loss.
4. One catalog transaction publishes all new versions and makes the new key the domain's
   active key; then the ring marks it active. Readers see all old tokens or all new ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import select
from sqlalchemy.orm import Session

from odahub.catalog.base import utcnow
from odahub.catalog.tables.core import DatasetVersion
from odahub.catalog.tables.privacy import KeyRotation, TokenDomain
from odahub.errors import IntegrityError
from odahub.hub import Hub
from odahub.lake import turns
from odahub.model import load_model
from odahub.privacy.audit import audit
from odahub.privacy.domains import active_key, key_store, purpose_of
from odahub.privacy.staging import Staged, discard, publish, stage
from odahub.privacy.tokens import as_text, hmac_hex

TOKEN_ZONES = ("pseudonymised", "linked", "marts")


@dataclass
class TokenMap:
    old: pa.Array
    new: pa.Array

    def translate(self, column: pa.ChunkedArray | pa.Array, where: str) -> pa.Array | None:
        """The column under the new key; None if none of it is this domain's tokens."""
        values = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
        position = pc.index_in(values, value_set=self.old)
        matched = pc.sum(pc.is_valid(position)).as_py() or 0
        present = len(values) - values.null_count
        if matched == 0:
            return None
        if matched != present:
            raise IntegrityError(f"{where}: {present - matched} tokens have no identified value "
                                 "to re-tokenise from; rotation stopped, nothing changed")
        translated: pa.Array = pc.take(self.new, position)
        return translated


@dataclass
class Rotation:
    domain: str
    old_key_id: str
    new_key_id: str
    tables: list[dict[str, Any]] = field(default_factory=list)
    tokens: int = 0


def token_columns(table: pa.Table) -> list[str]:
    direct = set(load_model().direct_identifiers)
    return [f.name for f in table.schema
            if (pa.types.is_string(f.type) or pa.types.is_large_string(f.type))
            and (f.name in direct or f.name.endswith("_token"))]


def identified_values(hub: Hub) -> pa.Array:
    """Every distinct direct-identifier value of the latest and referenced identified versions."""
    wanted: dict[int, DatasetVersion] = {}
    for name in hub.lake.tables("identified"):
        versions = {v.version: v for v in hub.lake.versions("identified", name)}
        used = hub.lake.latest("pseudonymised", name)
        for number in {max(versions), used.source_version if used else None}:
            if number in versions:
                wanted[versions[number].id] = versions[number]
    chunks: list[pa.Array] = []
    for version in wanted.values():
        table = hub.lake.read_table(version)
        for name in (c for c in load_model().direct_identifiers if c in table.column_names):
            chunks.append(pc.unique(as_text(table[name]).drop_null()))
    if not chunks:
        return pa.array([], pa.large_string())
    return pc.unique(pa.chunked_array(chunks, pa.large_string()).combine_chunks())


def token_map(values: pa.Array, old_key: bytes, new_key: bytes) -> TokenMap:
    return TokenMap(old=hmac_hex(values, old_key), new=hmac_hex(values, new_key))


def restage(hub: Hub, zone: str, name: str, mapping: TokenMap, rotation: Rotation) -> Staged | None:
    latest = hub.lake.require_latest(zone, name)
    table = hub.lake.read_table(latest)
    changed = 0
    for column in token_columns(table):
        translated = mapping.translate(table[column], f"{zone}/{name}.{column}")
        if translated is not None:
            table = table.set_column(table.schema.get_field_index(column), column, translated)
            changed += len(translated) - translated.null_count
    stamped = "_key_id" in table.column_names
    if stamped and not changed:  # no tokens (e.g. documents): re-stamp only if this domain's
        stamped = pc.all(pc.equal(table["_key_id"], rotation.old_key_id)).as_py() is True
    if not changed and not stamped:
        return None
    if stamped:
        table = table.set_column(table.schema.get_field_index("_key_id"), "_key_id",
                                 pa.array([rotation.new_key_id] * table.num_rows, pa.string()))
    rotation.tokens += changed
    rotation.tables.append({"zone": zone, "name": name, "from_version": latest.version})
    details = {**(latest.details or {}), "key_id": rotation.new_key_id,
               "rotated_from": latest.version}
    details.pop("files", None)
    return stage(hub, zone, name, table, dataset_id=latest.dataset_id,
                 created_by="privacy.rotate", source_version=latest.source_version,
                 rows_read=latest.rows_read, rows_accepted=table.num_rows,
                 spec_version=latest.spec_version, details=details)


@turns.stage_run
def rotate(hub: Hub, domain: str, actor: str = "system") -> Rotation:
    store = key_store(hub)
    old_id, old_key = active_key(hub, domain)
    new_id = store.create(purpose_of(domain), activate=False)
    rotation = Rotation(domain, old_id, new_id)
    with hub.catalog.session() as session:
        record = KeyRotation(domain=domain, old_key_id=old_id, new_key_id=new_id, actor=actor)
        session.add(record)
        session.flush()
        record_id = record.id
    staged: list[Staged] = []
    try:
        mapping = token_map(identified_values(hub), old_key, store.key_by_id(new_id))
        for zone in TOKEN_ZONES:
            for name in hub.lake.tables(zone):
                item = restage(hub, zone, name, mapping, rotation)
                if item is not None:
                    staged.append(item)
        publish(hub, staged, lambda session: _switch(session, rotation, record_id))
    except Exception as error:
        discard(staged)
        _fail(hub, record_id, str(error))
        audit(hub, actor=actor, action="keys.rotate", outcome="failed",
              details={"domain": domain, "error": str(error)[:500]})
        raise
    store.activate(new_id)  # the catalog already says so; the ring follows
    audit(hub, actor=actor, action="keys.rotate", outcome="done",
          details={"domain": domain, "old_key": old_id, "new_key": new_id,
                   "tables": len(rotation.tables), "tokens": rotation.tokens})
    return rotation


def _switch(session: Session, rotation: Rotation, record_id: int) -> None:
    row = session.scalar(select(TokenDomain).where(TokenDomain.name == rotation.domain))
    if row is None or row.active_key_id != rotation.old_key_id:
        raise IntegrityError(f"the key of domain {rotation.domain!r} changed during the rotation")
    row.active_key_id = rotation.new_key_id
    row.rotated_at = utcnow()
    record = session.get(KeyRotation, record_id)
    assert record is not None
    record.status, record.finished_at = "done", utcnow()
    record.tables, record.tokens = rotation.tables, rotation.tokens


def _fail(hub: Hub, record_id: int, message: str) -> None:
    with hub.catalog.session() as session:
        record = session.get(KeyRotation, record_id)
        if record is not None:
            record.status, record.message, record.finished_at = "failed", message, utcnow()
