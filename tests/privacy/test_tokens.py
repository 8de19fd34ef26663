from __future__ import annotations

import datetime as dt
import hashlib
import hmac

import duckdb
import numpy as np
import pyarrow as pa

from odahub.privacy import hmac_kernel
from odahub.privacy.tokens import hmac_hex, hmac_sql, key_pads

KEY = bytes(range(32))
VALUES = ["", "a", "é" * 30, "x" * 55, "x" * 56, "y" * 64, "z" * 130, None, "SMITH"]


def reference(value: str | None) -> str | None:
    return None if value is None else hmac.new(KEY, value.encode(), hashlib.sha256).hexdigest()


def test_kernel_tokens_are_standard_hmac_sha256_at_every_block_boundary() -> None:
    assert hmac_hex(pa.array(VALUES), KEY).to_pylist() == [reference(v) for v in VALUES]
    sliced = pa.chunked_array([pa.array(VALUES[:3]), pa.array(VALUES[3:])])
    assert hmac_hex(sliced, KEY).to_pylist() == [reference(v) for v in VALUES]
    assert hmac_hex(pa.array([dt.date(2010, 3, 12)]), KEY)[0].as_py() == reference("2010-03-12")
    many = pa.array([str(i) for i in range(120_000)])  # several threads
    assert hmac_hex(many, KEY)[119_999].as_py() == reference("119999")


def test_numba_compression_matches_openssl_and_sql_matches_kernel() -> None:
    blocks = np.random.default_rng(1).integers(0, 256, 64 * 3, dtype=np.uint8)
    ours = np.zeros(hmac_kernel.STATE_WORDS, np.uint32)
    ours[:8] = hmac_kernel.IV
    theirs = ours.copy()
    for i in range(3):
        hmac_kernel.compress_numba(ours, blocks, 64 * i)
        if hmac_kernel.OPENSSL:
            hmac_kernel.compress_openssl(theirs, blocks, 64 * i)
    if hmac_kernel.OPENSSL:
        assert (ours[:8] == theirs[:8]).all()
    padded = np.zeros(64, np.uint8)  # "abc" padded to one block: the state is SHA-256("abc")
    padded[:3] = list(b"abc")
    padded[3], padded[63] = 0x80, 24
    state = np.zeros(hmac_kernel.STATE_WORDS, np.uint32)
    state[:8] = hmac_kernel.IV
    hmac_kernel.compress_numba(state, padded, 0)
    assert state[:8].astype(">u4").tobytes() == hashlib.sha256(b"abc").digest()
    connection = duckdb.connect()
    connection.register("_hmac_key", key_pads(KEY))
    connection.register("t", pa.table({"v": VALUES}))
    rows = connection.execute(f"SELECT {hmac_sql('v')} FROM t").fetchall()
    assert [r[0] for r in rows] == [reference(v) for v in VALUES]
