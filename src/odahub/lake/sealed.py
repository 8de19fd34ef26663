"""Parquet modular encryption for sealed zones (ADR 0003).

Each file gets fresh data keys from pyarrow; they are wrapped with AES-GCM under a zone key that
the key store holds apart from the data. Plain files (unsealed zones) use the same functions.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pyarrow.parquet.encryption as pe
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from odahub.errors import IntegrityError

KeyLookup = Callable[[str], bytes]


class _ZoneKms(pe.KmsClient):  # type: ignore[misc]
    """A KMS client whose master keys are the key store's zone keys."""

    def __init__(self, lookup: KeyLookup) -> None:
        super().__init__()
        self._lookup = lookup

    def wrap_key(self, key_bytes: bytes, master_key_identifier: str) -> bytes:
        nonce = AESGCM.generate_key(bit_length=128)[:12]
        sealed = AESGCM(self._lookup(master_key_identifier)).encrypt(nonce, key_bytes, None)
        return base64.b64encode(json.dumps({
            "n": base64.b64encode(nonce).decode(), "c": base64.b64encode(sealed).decode(),
        }).encode())

    def unwrap_key(self, wrapped_key: bytes, master_key_identifier: str) -> bytes:
        body = json.loads(base64.b64decode(wrapped_key))
        key = self._lookup(master_key_identifier)
        return AESGCM(key).decrypt(base64.b64decode(body["n"]), base64.b64decode(body["c"]), None)


def _factory(lookup: KeyLookup) -> pe.CryptoFactory:
    return pe.CryptoFactory(lambda _config: _ZoneKms(lookup))


def writer(path: Path, schema: pa.Schema, key: tuple[str, bytes] | None,
           **options: Any) -> Any:
    """A zstd ParquetWriter, sealed under `key` if given; `options` go to pyarrow (e.g.
    `use_dictionary`, `write_statistics`: the ingest's big writes tune them, ADR 0083; or
    another `compression`)."""
    options = {"compression": "zstd", **options}
    if key is None:
        return pq.ParquetWriter(path, schema, **options)
    key_id, key_bytes = key
    config = pe.EncryptionConfiguration(
        footer_key=key_id, uniform_encryption=True, double_wrapping=False,
        plaintext_footer=False, data_key_length_bits=256,
    )
    properties = _factory(lambda _id: key_bytes).file_encryption_properties(
        pe.KmsConnectionConfig(), config)
    return pq.ParquetWriter(path, schema, encryption_properties=properties, **options)


def is_sealed(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(4) == b"PARE"


def read(path: Path, lookup: KeyLookup | None, columns: list[str] | None = None) -> pa.Table:
    if not is_sealed(path):
        return pq.read_table(path, columns=columns)
    if lookup is None:
        raise IntegrityError(f"{path.name} is sealed and no key store was given")
    properties = _factory(lookup).file_decryption_properties(
        pe.KmsConnectionConfig(), pe.DecryptionConfiguration())
    return pq.read_table(path, columns=columns, decryption_properties=properties)
