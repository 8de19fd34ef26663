"""Envelope-encrypted key store: data keys wrapped under a master key held outside lake and catalog.

The master key comes from ODAHUB_MASTER_KEY (base64) or a key file. A KMS or Vault can replace
`MasterKey` (anything with wrap/unwrap) without touching callers.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from odahub.config import Settings
from odahub.errors import ConfigError, IntegrityError


class Wrapper(Protocol):
    """What a KMS offers: wrap and unwrap small secrets."""

    def wrap(self, plaintext: bytes, context: bytes) -> bytes: ...
    def unwrap(self, wrapped: bytes, context: bytes) -> bytes: ...


@dataclass(frozen=True)
class MasterKey:
    """Local AES-256-GCM master key (a stand-in a real KMS can replace)."""

    key: bytes

    def wrap(self, plaintext: bytes, context: bytes) -> bytes:
        nonce = secrets.token_bytes(12)
        return nonce + AESGCM(self.key).encrypt(nonce, plaintext, context)

    def unwrap(self, wrapped: bytes, context: bytes) -> bytes:
        try:
            return AESGCM(self.key).decrypt(wrapped[:12], wrapped[12:], context)
        except Exception as error:
            raise IntegrityError("a key could not be unwrapped: wrong master key?") from error


def load_master_key(settings: Settings, create: bool = False) -> MasterKey:
    if settings.master_key:
        raw = base64.b64decode(settings.master_key)
    else:
        path = settings.resolved_master_key_file
        if not path.exists():
            if not create:
                raise ConfigError(f"no master key at {path}; run `odahub init` or set "
                                  "ODAHUB_MASTER_KEY / ODAHUB_MASTER_KEY_FILE")
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(base64.b64encode(secrets.token_bytes(32)).decode())
        raw = base64.b64decode(path.read_text().strip())
    if len(raw) != 32:
        raise ConfigError("the master key must be 32 bytes, base64-encoded")
    return MasterKey(raw)


class KeyStore:
    """Named keys (zone keys, linkage-domain keys), each with versions; only wrapped on disk."""

    def __init__(self, path: Path, master: Wrapper) -> None:
        self.path = path
        self.master = master
        self._cache: dict[str, bytes] = {}

    @classmethod
    def open(cls, settings: Settings, create: bool = False) -> KeyStore:
        store = cls(settings.keys_dir / "keyring.json", load_master_key(settings, create=create))
        if create and not store.path.exists():
            store._save({"keys": []})
        return store

    def _load(self) -> dict[str, Any]:
        if not self.path.exists():
            raise ConfigError(f"no key ring at {self.path}; run `odahub init`")
        loaded: dict[str, Any] = json.loads(self.path.read_text())
        return loaded

    def _save(self, ring: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(ring, indent=2))
        os.replace(tmp, self.path)  # atomic: a reader never sees half a key ring

    def entries(self, purpose: str | None = None) -> list[dict[str, Any]]:
        keys: list[dict[str, Any]] = self._load()["keys"]
        return [k for k in keys if purpose is None or k["purpose"] == purpose]

    def create(self, purpose: str, activate: bool = True) -> str:
        """A new key for `purpose`: active at once (earlier ones retired), or pending a rotation."""
        ring = self._load()
        version = 1 + sum(1 for k in ring["keys"] if k["purpose"] == purpose)
        key_id = f"{purpose}#{version}"
        if activate:
            for entry in ring["keys"]:
                if entry["purpose"] == purpose and entry["status"] == "active":
                    entry["status"] = "retired"
        wrapped = self.master.wrap(secrets.token_bytes(32), key_id.encode())
        ring["keys"].append({
            "id": key_id, "purpose": purpose, "status": "active" if activate else "pending",
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "wrapped": base64.b64encode(wrapped).decode(),
        })
        self._save(ring)
        return key_id

    def activate(self, key_id: str) -> None:
        """Make `key_id` the active key of its purpose in one atomic ring write."""
        ring = self._load()
        match = [k for k in ring["keys"] if k["id"] == key_id]
        if not match:
            raise IntegrityError(f"unknown key {key_id!r}")
        for entry in ring["keys"]:
            if entry["purpose"] == match[0]["purpose"] and entry["status"] in ("active", "pending"):
                entry["status"] = "retired"
        match[0]["status"] = "active"
        self._save(ring)

    def listing(self) -> list[dict[str, str]]:
        """Every key's id, purpose, status and creation time — never key material."""
        return [{k: str(entry[k]) for k in ("id", "purpose", "status", "created_at")}
                for entry in self.entries()]

    def active_id(self, purpose: str) -> str:
        active = [k["id"] for k in self.entries(purpose) if k["status"] == "active"]
        return active[-1] if active else self.create(purpose)

    def key_by_id(self, key_id: str) -> bytes:
        if key_id not in self._cache:
            match = [k for k in self.entries() if k["id"] == key_id]
            if not match:
                raise IntegrityError(f"unknown key {key_id!r}")
            wrapped = base64.b64decode(match[0]["wrapped"])
            self._cache[key_id] = self.master.unwrap(wrapped, key_id.encode())
        return self._cache[key_id]

    # -- the lake's KeyProvider ----------------------------------------------------------
    def zone_key(self, zone: str) -> tuple[str, bytes]:
        key_id = self.active_id(f"zone:{zone}")
        return key_id, self.key_by_id(key_id)

    def domain_key(self, domain: str) -> tuple[str, bytes]:
        """The tokenisation key of a linkage domain (a partnership project)."""
        key_id = self.active_id(f"domain:{domain}")
        return key_id, self.key_by_id(key_id)
