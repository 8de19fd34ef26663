"""The audit trail's secret and its checkpoints, both held outside the catalog (ADR 0050).

The HMAC key lives in `$ODAHUB_HOME/keys/audit.key` (created at first use, mode 0600); signed
checkpoints of the chain head are appended to `$ODAHUB_HOME/audit/checkpoints/chain.log`.
Someone who can edit the catalog but not these files cannot forge entries or hide a truncation.
A catalog is bound to its trail once, at the entry point (`configure`).

Checkpoint cadence (ADR 0055): the head a process has appended is signed at once when the last
checkpoint is older than `CHECKPOINT_SECONDS` or `CHECKPOINT_ENTRIES` entries behind, otherwise
within `CHECKPOINT_SECONDS` by a timer, and always at `flush()` (verify, app shutdown, exit).
"""

from __future__ import annotations

import atexit
import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy.engine import make_url

from odahub.catalog import Catalog
from odahub.config import Settings
from odahub.errors import ConfigError, IntegrityError

GENESIS = "0" * 64
CHECKPOINT_FILE = "chain.log"
# Sign the chain head at least this often while entries are being appended (ADR 0055).
CHECKPOINT_SECONDS = 1.0
CHECKPOINT_ENTRIES = 500


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    entry_hash: str
    line: int


@dataclass(frozen=True, eq=False)
class AuditTrail:
    """The key that chains entries and the folder where the signed chain head is kept."""

    key: bytes
    checkpoint_dir: Path | None = None
    every_seconds: float = CHECKPOINT_SECONDS
    every_entries: int = CHECKPOINT_ENTRIES
    _cadence: _Cadence = field(default_factory=lambda: _Cadence(), compare=False, repr=False)

    def entry_hash(self, prev_hash: str, body: dict[str, Any]) -> str:
        message = prev_hash.encode() + b"\n" + canonical(body)
        return hmac.new(self.key, message, hashlib.sha256).hexdigest()

    @cached_property
    def _checkpoint_key(self) -> bytes:
        # A separate derived key, so a checkpoint line can never be replayed as an entry hash.
        return hmac.new(self.key, b"odahub-audit-checkpoint", hashlib.sha256).digest()

    def _signature(self, seq: int, entry_hash: str) -> str:
        return hmac.new(self._checkpoint_key, f"{seq}:{entry_hash}".encode(),
                        hashlib.sha256).hexdigest()

    @property
    def checkpoint_file(self) -> Path | None:
        return self.checkpoint_dir / CHECKPOINT_FILE if self.checkpoint_dir else None

    def appended(self, seq: int, entry_hash: str, at: str) -> None:
        """Note a head this process committed; sign it now or within `every_seconds`."""
        if self.checkpoint_dir is None:
            return
        cadence = self._cadence
        with cadence.lock:
            if cadence.pending is None or seq > cadence.pending[0]:
                cadence.pending = (seq, entry_hash, at)
            due = (time.monotonic() - cadence.written_at >= self.every_seconds
                   or seq - cadence.written_seq >= self.every_entries)
            if due:
                self._write_pending()
                return
            _UNSIGNED.add(self)
            if cadence.timer is None:
                cadence.timer = threading.Timer(self.every_seconds, self.flush)
                cadence.timer.daemon = True
                cadence.timer.start()

    def flush(self) -> None:
        """Sign the newest head this process appended, if not signed yet."""
        with self._cadence.lock:
            self._write_pending()

    def _write_pending(self) -> None:
        cadence = self._cadence
        if cadence.timer is not None:
            cadence.timer.cancel()
            cadence.timer = None
        _UNSIGNED.discard(self)
        if cadence.pending is None:
            return
        seq, entry_hash, at = cadence.pending
        self.write_checkpoint(seq, entry_hash, at)
        cadence.pending, cadence.written_seq = None, seq
        cadence.written_at = time.monotonic()

    def write_checkpoint(self, seq: int, entry_hash: str, at: str) -> None:
        path = self.checkpoint_file
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"seq": seq, "hash": entry_hash, "at": at,
                           "sig": self._signature(seq, entry_hash)}, sort_keys=True)
        # One small O_APPEND write per line: concurrent writers never interleave inside a line.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, (line + "\n").encode())
        finally:
            os.close(fd)

    def read_checkpoints(self, path: Path | None = None) -> list[Checkpoint]:
        """Every signed checkpoint; raises IntegrityError on a forged or mangled line."""
        path = path or self.checkpoint_file
        if path is None or not path.exists():
            return []
        found: list[Checkpoint] = []
        for number, text in enumerate(path.read_text().splitlines(), start=1):
            if not text.strip():
                continue
            try:
                data = json.loads(text)
                seq, entry_hash, signature = int(data["seq"]), str(data["hash"]), data["sig"]
            except (ValueError, KeyError, TypeError) as error:
                raise IntegrityError(f"{path}: line {number} is not a checkpoint") from error
            if not hmac.compare_digest(signature, self._signature(seq, entry_hash)):
                raise IntegrityError(f"{path}: line {number} has a bad signature")
            found.append(Checkpoint(seq, entry_hash, number))
        return found


@dataclass(eq=False)
class _Cadence:
    """When this process last signed the chain head, and the newest head not signed yet."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    pending: tuple[int, str, str] | None = None
    written_seq: int = 0
    written_at: float = float("-inf")
    timer: threading.Timer | None = None


# Trails holding a head not signed yet (strong references, so none is lost before `flush`).
_UNSIGNED: set[AuditTrail] = set()


@atexit.register
def flush_all() -> None:
    """Sign every pending head (at interpreter exit, and at a web app's shutdown)."""
    for trail in list(_UNSIGNED):
        trail.flush()


def canonical(value: Any) -> bytes:
    """One byte string per value: sorted keys, no spaces, UTF-8 (what the HMAC covers)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str).encode()


def load_key(path: Path, create: bool = True) -> bytes:
    if not path.exists():
        if not create:
            raise ConfigError(f"no audit key at {path}; run `odahub init`")
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it first: use theirs
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(base64.b64encode(secrets.token_bytes(32)).decode())
    raw = base64.b64decode(path.read_text().strip())
    if len(raw) < 32:
        raise ConfigError(f"the audit key at {path} must be at least 32 bytes, base64-encoded")
    return raw


def trail_from_settings(settings: Settings) -> AuditTrail:
    return AuditTrail(key=load_key(settings.keys_dir / "audit.key"),
                      checkpoint_dir=settings.home / "audit" / "checkpoints")


_BOUND: WeakKeyDictionary[Catalog, AuditTrail] = WeakKeyDictionary()


def bind(catalog: Catalog, trail: AuditTrail) -> AuditTrail:
    previous = _BOUND.get(catalog)
    if previous is not None and previous is not trail:
        previous.flush()
    _BOUND[catalog] = trail
    return trail


def configure(catalog: Catalog, settings: Settings) -> AuditTrail:
    """Bind the catalog to the trail of this home (idempotent; call once per entry point)."""
    wanted = trail_from_settings(settings)
    bound = _BOUND.get(catalog)
    if bound is not None and (bound.key, bound.checkpoint_dir) == (wanted.key,
                                                                   wanted.checkpoint_dir):
        return bound  # keep its cadence (a head not signed yet stays pending, not lost)
    return bind(catalog, wanted)


def trail_for(catalog: Catalog) -> AuditTrail:
    """The trail bound to this catalog; an embedded SQLite home finds its own."""
    trail = _BOUND.get(catalog)
    if trail is not None:
        return trail
    url = make_url(catalog.database_url)
    if url.drivername.startswith("sqlite") and url.database and url.database != ":memory:":
        home = Path(url.database).resolve().parent
        return configure(catalog, Settings(home=home, database_url=catalog.database_url))
    raise ConfigError("the audit trail of this catalog is not configured: call "
                      "odahub.governance.attach(hub) (or audit.configure) at the entry point")
