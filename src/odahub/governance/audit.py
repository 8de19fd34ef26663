"""The append-only, HMAC-chained audit log: record every access, verify the chain (ADR 0050).

entry_hash = HMAC(key, prev_hash + canonical JSON of the entry). The entry covers a salted digest
of its payload (subjects, details) rather than the payload itself, so an erasure can redact a
payload without breaking the chain. `seq` numbers run 1, 2, 3... with no gaps.

Appends made at the same time by the threads of one process share one transaction (group
commit): each caller still returns only once its own entry is committed (ADR 0055).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError as SqlIntegrityError
from sqlalchemy.exc import OperationalError

from odahub.catalog import Catalog
from odahub.catalog.base import utcnow
from odahub.catalog.tables.governance import AuditEntry
from odahub.errors import IntegrityError, OdahubError
from odahub.governance import changes
from odahub.governance.trail import GENESIS, AuditTrail, Checkpoint, canonical, trail_for

OUTCOMES = ("allowed", "denied", "failed", "done")


@dataclass(frozen=True)
class Verification:
    ok: bool
    entries: int
    first_bad_entry: int | None = None
    message: str = "the audit chain is intact"
    checkpoints: int = 0


def payload_digest(salt: str, payload: Mapping[str, Any]) -> str:
    return hashlib.sha256(salt.encode() + b"\n" + canonical(payload)).hexdigest()


def entry_body(entry: AuditEntry) -> dict[str, Any]:
    """The fields the HMAC covers (everything but the payload itself and redaction marks)."""
    return _body(seq=entry.seq, at=entry.at, actor=entry.actor, action=entry.action,
                 outcome=entry.outcome, purpose=entry.purpose,
                 justification=entry.justification, dataset=entry.dataset,
                 subject_count=entry.subject_count, payload_digest=entry.payload_digest)


def _body(*, seq: int, at: datetime, actor: str, action: str, outcome: str,
          purpose: str | None, justification: str | None, dataset: str | None,
          subject_count: int, payload_digest: str) -> dict[str, Any]:
    return {
        "seq": seq, "at": at.isoformat(timespec="microseconds"),
        "actor": actor, "action": action, "outcome": outcome,
        "purpose": purpose, "justification": justification,
        "dataset": dataset, "subject_count": subject_count,
        "payload_digest": payload_digest,
    }


def record(
    catalog: Catalog,
    *,
    actor: str,
    action: str,
    purpose: str | None = None,
    justification: str | None = None,
    dataset: str | None = None,
    subjects: Iterable[str] = (),
    details: Mapping[str, Any] | None = None,
    outcome: str = "allowed",
) -> int:
    """Append one entry (committed before this returns, whatever the caller does next);
    returns its seq."""
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {OUTCOMES}, not {outcome!r}")
    if changes.is_change(action):
        changes.bump(catalog)  # caches of policy inputs reload (the change is committed)
    trail = trail_for(catalog)
    subject_list = sorted({str(subject) for subject in subjects})
    # Normalise through JSON so that what is stored is exactly what was hashed.
    payload = json.loads(canonical({"subjects": subject_list, "details": dict(details or {})}))
    salt = secrets.token_hex(16)
    item = _Item(columns={"actor": actor, "action": action, "outcome": outcome,
                          "purpose": purpose, "justification": justification,
                          "dataset": dataset, "subject_count": len(subject_list)},
                 payload=payload, salt=salt)
    return _writer(catalog).append(catalog, trail, item)


@dataclass(eq=False)
class _Item:
    """One entry waiting to be appended, and what became of it."""

    columns: dict[str, Any]
    payload: dict[str, Any]
    salt: str
    at: datetime | None = None
    seq: int = 0
    error: BaseException | None = None
    done: bool = False


@dataclass(eq=False)
class _Writer:
    """Group commit: whoever finds no append in progress writes every waiting entry in one
    transaction; the others wait for it (and each returns once its own entry is committed)."""

    ready: threading.Condition = field(default_factory=threading.Condition)
    queue: list[_Item] = field(default_factory=list)
    busy: bool = False

    def append(self, catalog: Catalog, trail: AuditTrail, item: _Item) -> int:
        with self.ready:
            item.at = utcnow()  # taken in queue order, so times follow seq
            self.queue.append(item)
            while not item.done:
                if self.busy:
                    self.ready.wait()
                    continue
                batch, self.queue, self.busy = self.queue, [], True
                self.ready.release()
                try:
                    _append(catalog, trail, batch)
                except BaseException as error:
                    for waiting in batch:
                        waiting.error, waiting.done = error, True
                finally:
                    self.ready.acquire()
                    self.busy = False
                    self.ready.notify_all()
        if item.error is not None:
            raise OdahubError(f"could not append to the audit log: {item.error}") from item.error
        return item.seq


_WRITERS: WeakKeyDictionary[Catalog, _Writer] = WeakKeyDictionary()
_WRITERS_LOCK = threading.Lock()


def _writer(catalog: Catalog) -> _Writer:
    writer = _WRITERS.get(catalog)
    if writer is None:
        with _WRITERS_LOCK:
            writer = _WRITERS.setdefault(catalog, _Writer())
    return writer


def _append(catalog: Catalog, trail: AuditTrail, batch: list[_Item]) -> None:
    for _attempt in range(50):
        try:
            rows = _insert(catalog, trail, batch)
            break
        except (SqlIntegrityError, OperationalError):
            continue  # another process took these seqs (or held the lock): read the head again
    else:
        raise OdahubError("could not append to the audit log: too much contention")
    for item, row in zip(batch, rows, strict=True):
        item.seq, item.done = row["seq"], True
    last = rows[-1]
    trail.appended(last["seq"], last["entry_hash"], last["at"].isoformat())


def _insert(catalog: Catalog, trail: AuditTrail, batch: list[_Item]) -> list[dict[str, Any]]:
    with catalog.engine.begin() as connection:  # Core: no ORM unit of work on the hot path
        head = connection.execute(
            select(AuditEntry.seq, AuditEntry.entry_hash).order_by(AuditEntry.seq.desc()).limit(1)
        ).first()
        seq, prev_hash = (head[0], head[1]) if head else (0, GENESIS)
        rows = []
        for item in batch:
            seq += 1
            digest = payload_digest(item.salt, item.payload)
            at = item.at or utcnow()
            entry_hash = trail.entry_hash(prev_hash, _body(
                seq=seq, at=at, payload_digest=digest, **item.columns))
            rows.append({"seq": seq, "at": at, "payload": item.payload,
                         "payload_salt": item.salt, "payload_digest": digest,
                         "prev_hash": prev_hash, "entry_hash": entry_hash, **item.columns})
            prev_hash = entry_hash
        connection.execute(insert(AuditEntry), rows)
    return rows


def flush(catalog: Catalog) -> None:
    """Sign the newest head this process appended, now (app shutdown; verify does it too)."""
    trail_for(catalog).flush()


def verify(catalog: Catalog, checkpoint: Path | None = None) -> Verification:
    """Recompute the chain; compare it with the signed checkpoints kept outside the catalog."""
    trail = trail_for(catalog)
    trail.flush()  # what this process appended is signed before it is checked
    try:
        checkpoints = trail.read_checkpoints(checkpoint)
    except IntegrityError as error:
        return Verification(False, 0, None, str(error))
    by_seq: dict[int, Checkpoint] = {point.seq: point for point in checkpoints}
    expected, prev_hash, count = 1, GENESIS, 0
    with catalog.session() as session:
        rows = session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).yield_per(2000)
        for entry in rows:
            problem = _check_entry(trail, entry, expected, prev_hash, by_seq.get(expected))
            if problem is not None:
                return Verification(False, count, expected, f"entry {expected}: {problem}",
                                    len(checkpoints))
            prev_hash, expected, count = entry.entry_hash, expected + 1, count + 1
    last = max(by_seq, default=0)
    if last >= expected:
        return Verification(False, count, expected,
                            f"entry {expected}: missing — the log ends at entry {expected - 1} "
                            f"but a signed checkpoint covers entry {last} (truncated)",
                            len(checkpoints))
    return Verification(True, count, None, f"the audit chain is intact ({count} entries, "
                        f"{len(checkpoints)} checkpoints)", len(checkpoints))


def _check_entry(trail: AuditTrail, entry: AuditEntry, expected: int, prev_hash: str,
                 checkpoint: Checkpoint | None) -> str | None:
    if entry.seq != expected:
        return f"missing (the next entry in the catalog is {entry.seq})"
    if entry.prev_hash != prev_hash:
        return "does not follow the previous entry (removed, reordered or edited)"
    if entry.payload is not None:
        if entry.payload_salt is None or payload_digest(entry.payload_salt, entry.payload) != (
                entry.payload_digest):
            return "its subjects or details were edited"
    elif entry.redacted_at is None:
        return "its payload was removed without a redaction"
    if trail.entry_hash(prev_hash, entry_body(entry)) != entry.entry_hash:
        return "was edited (its HMAC does not match)"
    if checkpoint is not None and checkpoint.entry_hash != entry.entry_hash:
        return "differs from the signed checkpoint"
    return None


def head(catalog: Catalog) -> int:
    with catalog.session() as session:
        return int(session.scalar(select(func.coalesce(func.max(AuditEntry.seq), 0))) or 0)


def redact(catalog: Catalog, seqs: Iterable[int], at: datetime | None = None) -> int:
    """Erase the payloads of entries (an erasure request); the chain still verifies."""
    wanted = sorted(set(seqs))
    with catalog.session() as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.seq.in_(wanted))).all()
        for entry in entries:
            entry.payload, entry.payload_salt, entry.redacted_at = None, None, at or utcnow()
    return len(entries)


def entries(catalog: Catalog, *, actor: str | None = None, action: str | None = None,
            dataset: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """Recent entries, newest first, as plain dicts (for pages and `odahub audit list`)."""
    query = select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit)
    for column, value in ((AuditEntry.actor, actor), (AuditEntry.action, action),
                          (AuditEntry.dataset, dataset)):
        if value is not None:
            query = query.where(column == value)
    with catalog.session() as session:
        return [{**entry_body(entry), "subjects": (entry.payload or {}).get("subjects"),
                 "details": (entry.payload or {}).get("details"),
                 "redacted": entry.redacted_at is not None}
                for entry in session.scalars(query)]
