"""HMAC-SHA256 over every value of an Arrow string column, compiled (numba), no Python per value.

HMAC(k, m) = SHA256((k ^ opad) || SHA256((k ^ ipad) || m)). The two key blocks are the same for
every value, so their SHA-256 states ("midstates") are computed once; each value then costs one
compression for a short message plus one for the outer hash. The compression is OpenSSL's
`SHA256_Transform` (SHA-NI where the CPU has it) when libcrypto is loadable, else a numba port.
Compiled code is cached on disk by numba, so only the first run on a machine pays for compiling.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numba
import numpy as np
from numba import types

K = np.array([
    0x428A2F98, 0x71374491, 0xB5C0FBCF, 0xE9B5DBA5, 0x3956C25B, 0x59F111F1, 0x923F82A4, 0xAB1C5ED5,
    0xD807AA98, 0x12835B01, 0x243185BE, 0x550C7DC3, 0x72BE5D74, 0x80DEB1FE, 0x9BDC06A7, 0xC19BF174,
    0xE49B69C1, 0xEFBE4786, 0x0FC19DC6, 0x240CA1CC, 0x2DE92C6F, 0x4A7484AA, 0x5CB0A9DC, 0x76F988DA,
    0x983E5152, 0xA831C66D, 0xB00327C8, 0xBF597FC7, 0xC6E00BF3, 0xD5A79147, 0x06CA6351, 0x14292967,
    0x27B70A85, 0x2E1B2138, 0x4D2C6DFC, 0x53380D13, 0x650A7354, 0x766A0ABB, 0x81C2C92E, 0x92722C85,
    0xA2BFE8A1, 0xA81A664B, 0xC24B8B70, 0xC76C51A3, 0xD192E819, 0xD6990624, 0xF40E3585, 0x106AA070,
    0x19A4C116, 0x1E376C08, 0x2748774C, 0x34B0BCB5, 0x391C0CB3, 0x4ED8AA4A, 0x5B9CCA4F, 0x682E6FF3,
    0x748F82EE, 0x78A5636F, 0x84C87814, 0x8CC70208, 0x90BEFFFA, 0xA4506CEB, 0xBEF9A3F7, 0xC67178F2,
], dtype=np.uint32)
IV = np.array([0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A,
               0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19], dtype=np.uint32)
HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8).copy()
STATE_WORDS = 28  # OpenSSL's SHA256_CTX is 112 bytes; the hash state is its first 8 words
THREADS = max(1, min(8, os.cpu_count() or 1))


def _load_openssl() -> bool:
    """Make libcrypto's symbols visible to compiled code; False where it is not available."""
    name = ctypes.util.find_library("crypto")
    if name is None:
        return False
    try:
        ctypes.CDLL(name).SHA256_Transform  # noqa: B018  (probe the symbol)
        import llvmlite.binding as llvm

        llvm.load_library_permanently(name)
    except (OSError, AttributeError, RuntimeError):
        return False
    return True


OPENSSL = _load_openssl()
_transform = types.ExternalFunction("SHA256_Transform", types.void(types.uintp, types.uintp))


@numba.njit(cache=True)  # type: ignore[untyped-decorator]
def compress_openssl(state: Any, data: Any, offset: int) -> None:
    _transform(state.ctypes.data, data.ctypes.data + offset)


@numba.njit(inline="always")  # type: ignore[untyped-decorator]
def _rotr(x: Any, n: int) -> Any:
    return np.uint32((x >> np.uint32(n)) | (x << np.uint32(32 - n)))


@numba.njit(cache=True)  # type: ignore[untyped-decorator]
def compress_numba(state: Any, data: Any, offset: int) -> None:
    w = np.empty(64, dtype=np.uint32)
    for t in range(16):
        p = offset + 4 * t
        w[t] = (np.uint32(data[p]) << np.uint32(24)) | (np.uint32(data[p + 1]) << np.uint32(16)
                ) | (np.uint32(data[p + 2]) << np.uint32(8)) | np.uint32(data[p + 3])
    for t in range(16, 64):
        x = w[t - 15]
        y = w[t - 2]
        s0 = _rotr(x, 7) ^ _rotr(x, 18) ^ (x >> np.uint32(3))
        s1 = _rotr(y, 17) ^ _rotr(y, 19) ^ (y >> np.uint32(10))
        w[t] = np.uint32(w[t - 16] + s0 + w[t - 7] + s1)
    a, b, c, d = state[0], state[1], state[2], state[3]
    e, f, g, h = state[4], state[5], state[6], state[7]
    for t in range(64):
        t1 = np.uint32(h + (_rotr(e, 6) ^ _rotr(e, 11) ^ _rotr(e, 25))
                       + np.uint32((e & f) ^ (~e & g)) + K[t] + w[t])
        t2 = np.uint32((_rotr(a, 2) ^ _rotr(a, 13) ^ _rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c)))
        h, g, f, e = g, f, e, np.uint32(d + t1)
        d, c, b, a = c, b, a, np.uint32(t1 + t2)
    state[0] = np.uint32(state[0] + a)
    state[1] = np.uint32(state[1] + b)
    state[2] = np.uint32(state[2] + c)
    state[3] = np.uint32(state[3] + d)
    state[4] = np.uint32(state[4] + e)
    state[5] = np.uint32(state[5] + f)
    state[6] = np.uint32(state[6] + g)
    state[7] = np.uint32(state[7] + h)


compress = compress_openssl if OPENSSL else compress_numba


@numba.njit(cache=True)  # type: ignore[untyped-decorator]
def _one(data: Any, start: int, length: int, inner: Any, outer: Any,
         state: Any, block: Any, out: Any, at: int) -> None:
    state[:8] = inner
    position = 0
    while length - position >= 64:  # whole blocks straight from the Arrow buffer
        compress(state, data, start + position)
        position += 64
    rest = length - position
    block[:rest] = data[start + position:start + length]
    block[rest] = 0x80
    block[rest + 1:] = 0
    if rest >= 56:
        compress(state, block, 0)
        block[:] = 0
    bits = (64 + length) * 8  # the key block counts towards the message length
    for j in range(8):
        block[63 - j] = (bits >> (8 * j)) & 0xFF
    compress(state, block, 0)
    for j in range(8):  # inner digest, big-endian, then the outer hash's padding
        for k in range(4):
            block[4 * j + k] = (state[j] >> np.uint32(24 - 8 * k)) & np.uint32(0xFF)
    block[32] = 0x80
    block[33:] = 0
    block[62] = 0x03  # (64 + 32) * 8 = 768 bits
    state[:8] = outer
    compress(state, block, 0)
    for j in range(8):
        for k in range(4):
            byte = (state[j] >> np.uint32(24 - 8 * k)) & np.uint32(0xFF)
            out[at + 8 * j + 2 * k] = HEX[byte >> 4]
            out[at + 8 * j + 2 * k + 1] = HEX[byte & 15]


@numba.njit(cache=True, nogil=True)  # type: ignore[untyped-decorator]
def _span(data: Any, offsets: Any, inner: Any, outer: Any, out: Any, lo: int, hi: int) -> None:
    state = np.zeros(STATE_WORDS, dtype=np.uint32)
    block = np.zeros(64, dtype=np.uint8)
    for i in range(lo, hi):
        _one(data, offsets[i], offsets[i + 1] - offsets[i], inner, outer, state, block, out, i * 64)


@numba.njit(cache=True)  # type: ignore[untyped-decorator]
def _midstate(pad: Any) -> Any:
    state = np.zeros(STATE_WORDS, dtype=np.uint32)
    state[:8] = IV
    compress(state, pad, 0)
    return state[:8].copy()


def hmac_sha256_hex(data: Any, offsets: Any, key: bytes) -> Any:
    """uint8 data + int64 offsets of n values → uint8[n*64]: their hex HMACs, back to back."""
    padded = np.frombuffer(key.ljust(64, b"\0"), dtype=np.uint8)
    inner = _midstate(padded ^ np.uint8(0x36))
    outer = _midstate(padded ^ np.uint8(0x5C))
    count = len(offsets) - 1
    out = np.empty(count * 64, dtype=np.uint8)
    # nogil spans on a few threads: parallel without numba's threading layer; small columns
    # stay on the calling thread.
    threads = min(THREADS, max(1, count // 50_000))
    bounds = np.linspace(0, count, threads + 1).astype(np.int64)
    if threads == 1:
        _span(data, offsets, inner, outer, out, 0, count)
        return out
    with ThreadPoolExecutor(threads) as pool:
        for future in [pool.submit(_span, data, offsets, inner, outer, out, int(lo), int(hi))
                       for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]:
            future.result()
    return out


def backend() -> str:
    return "openssl" if OPENSSL else "numba"
