"""Keyed tokens: hex HMAC-SHA256 of a standardised value under a linkage domain's key.

Same value and key → same token; another domain's key → an unrelated token. Values are taken as
text (dates as ISO `YYYY-MM-DD`), UTF-8 encoded. There is deliberately no unkeyed hash anywhere:
with ~10⁹ NHS numbers a plain SHA-256 is reversed by trying them all.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

TOKEN_HEX_CHARS = 64


def as_text(values: pa.Array | pa.ChunkedArray) -> pa.LargeStringArray:
    """The value each token is computed over: text, one contiguous Arrow array (int64 offsets)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks else pa.array([], values.type)
    if pa.types.is_date(values.type) or pa.types.is_timestamp(values.type):
        values = pc.strftime(values, format="%Y-%m-%d")
    result = values.cast(pa.large_string())
    assert isinstance(result, pa.LargeStringArray)
    return result


def hmac_hex(values: pa.Array | pa.ChunkedArray, key: bytes) -> pa.StringArray:
    """Tokens for a column, nulls kept null; compiled, no Python per value."""
    if len(key) > 64:
        raise ValueError("HMAC keys longer than one block are not used here")
    text = as_text(values)
    count = len(text)
    if count == 0:
        return pa.array([], pa.string())
    _validity, offsets_buffer, data_buffer = text.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64)[text.offset:text.offset + count + 1]
    data = (np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None
            else np.zeros(1, dtype=np.uint8))
    from odahub.privacy.hmac_kernel import hmac_sha256_hex  # numba loads only when tokenising

    digests = hmac_sha256_hex(data, offsets, key)
    token_offsets = np.arange(0, TOKEN_HEX_CHARS * (count + 1), TOKEN_HEX_CHARS, dtype=np.int32)
    tokens = pa.StringArray.from_buffers(count, pa.py_buffer(token_offsets),
                                         pa.py_buffer(digests))
    if text.null_count:
        tokens = pc.if_else(pc.is_null(text), pa.scalar(None, pa.string()), tokens)
    assert isinstance(tokens, pa.StringArray)
    return tokens


def tokenise_columns(table: pa.Table, columns: Iterable[str], key: bytes) -> pa.Table:
    """Replace each named column by its tokens (string), in place in the schema order."""
    for name in columns:
        index = table.schema.get_field_index(name)
        table = table.set_column(index, pa.field(name, pa.string()), hmac_hex(table[name], key))
    return table


def hmac_sql(value_sql: str, key_view: str = "_hmac_key") -> str:
    """The same token as engine SQL (DuckDB dialect; SQLGlot turns it into Spark's).

    `key_view` is a one-row view with blobs `ipad`, `opad` (key ^ 0x36.., key ^ 0x5c..),
    registered as data so the key never appears in logged SQL text.
    """
    return (f"sha256((SELECT opad FROM {key_view}) || unhex(sha256((SELECT ipad FROM {key_view})"
            f" || encode(CAST({value_sql} AS VARCHAR)))))")


def key_pads(key: bytes) -> pa.Table:
    """The one-row table `hmac_sql` reads its key blocks from."""
    padded = key.ljust(64, b"\0")
    ipad = bytes(b ^ 0x36 for b in padded)
    opad = bytes(b ^ 0x5C for b in padded)
    return pa.table({"ipad": pa.array([ipad], pa.binary()), "opad": pa.array([opad], pa.binary())})
