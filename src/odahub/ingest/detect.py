"""Detection of what a spec may leave out: text encoding and date formats."""

from __future__ import annotations

import codecs
from collections.abc import Sequence
from pathlib import Path

from charset_normalizer import from_bytes

SAMPLE_BYTES = 1 << 20
UTF8 = {"utf-8", "utf8", "utf_8", "ascii", "us-ascii", "utf-8-sig", "utf_8_sig"}

# Common UK forms first: day before month, never the US order unless nothing else fits.
DATE_FORMATS: tuple[str, ...] = (
    "%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y", "%d %b %Y", "%d-%b-%Y",
    "%d %B %Y", "%Y%m%d", "%Y/%m/%d", "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S",
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%m/%d/%Y",
)


def sample(path: Path, size: int = SAMPLE_BYTES) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(size)


def normalise_encoding(name: str) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return name


def detect_encoding(path: Path) -> str:
    """UTF-8 if the sample decodes as UTF-8; otherwise charset-normalizer's best guess."""
    data = sample(path)
    cut = data.rfind(b"\n")
    data = data[: cut + 1] if cut > 0 and len(data) == SAMPLE_BYTES else data
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    # UK partners' systems export Windows-1252. On mostly-ASCII text, statistical detectors
    # guess wildly (a short sample "looks" Korean), so prefer cp1252 whenever it fits.
    high = sum(data.count(bytes([b])) for b in range(128, 256))
    if _fits_cp1252(data) and high <= 0.1 * max(len(data), 1):
        return "cp1252"
    best = from_bytes(data).best()
    return normalise_encoding(best.encoding) if best is not None else "cp1252"


def _fits_cp1252(data: bytes) -> bool:
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return False
    return True


def is_utf8(encoding: str) -> bool:
    return encoding.lower().replace("_", "-") in UTF8 or normalise_encoding(encoding) == "utf-8"


def date_format_candidates(given: str | None) -> Sequence[str]:
    return (given,) if given else DATE_FORMATS
