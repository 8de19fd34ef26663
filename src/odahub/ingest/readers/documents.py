"""Documents, images and sound: one record per file, with text, metadata and how the text was
obtained (`text_method`: parser:<name>, ocr:tesseract or none; `text_confidence` 0-1), so users
know which text is machine-made."""

from __future__ import annotations

import email
import email.policy
import re
import shutil
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa

from odahub.ingest.detect import detect_encoding
from odahub.ingest.readers.base import ROW, Reject, TableSource

FIELDS = ("document_id", "file_name", "media_type", "size_bytes", "title", "author", "created",
          "subject", "sender", "recipients", "pages", "width", "height", "duration_seconds",
          "text", "text_method", "text_confidence")
Record = dict[str, Any]


def pdf(path: Path, _ocr: bool) -> Record:
    from pypdf import PdfReader

    reader = PdfReader(path)
    text = "\n".join((page.extract_text() or "") for page in reader.pages).strip()
    meta: Any = reader.metadata or {}
    created = getattr(reader.metadata, "creation_date", None) if reader.metadata else None
    return {"media_type": "application/pdf", "title": meta.get("/Title"),
            "author": meta.get("/Author"), "created": created, "pages": len(reader.pages),
            **parsed(text, "pypdf")}


def docx(path: Path, _ocr: bool) -> Record:
    import docx as python_docx

    document = python_docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    props = document.core_properties
    return {"media_type": "application/vnd.openxmlformats-officedocument.wordprocessingml."
                          "document", "title": props.title or None, "author": props.author or None,
            "created": props.created, **parsed("\n".join(parts).strip(), "python-docx")}


def txt(path: Path, _ocr: bool) -> Record:
    text = path.read_bytes().decode(detect_encoding(path), errors="replace")
    return {"media_type": "text/plain", **parsed(text.strip(), "text")}


def html(path: Path, _ocr: bool) -> Record:
    from lxml import html as lxml_html

    tree = lxml_html.fromstring(path.read_bytes())
    for bad in tree.xpath("//script|//style"):
        bad.drop_tree()
    title = tree.findtext(".//title")
    # Text nodes joined with spaces (so blocks don't run together), then no space before
    # punctuation that an inline tag boundary introduced.
    text = re.sub(r" ([.,;:!?])", r"\1", " ".join(" ".join(tree.itertext()).split()))
    return {"media_type": "text/html", "title": title, **parsed(text, "lxml-html")}


def eml(path: Path, _ocr: bool) -> Record:
    with open(path, "rb") as handle:
        message = email.message_from_binary_file(handle, policy=email.policy.default)
    body = message.get_body(preferencelist=("plain", "html"))  # type: ignore[attr-defined]
    content = body.get_content() if body is not None else ""
    if body is not None and body.get_content_type() == "text/html":
        from lxml import html as lxml_html

        content = lxml_html.fromstring(content).text_content()
    return {"media_type": "message/rfc822", "subject": message["subject"],
            "title": message["subject"], "sender": message["from"],
            "recipients": message["to"], "created": message["date"],
            **parsed(str(content).strip(), "email")}


def image(path: Path, ocr: bool) -> Record:
    from PIL import Image

    with Image.open(path) as picture:
        exif = picture.getexif()
        record: Record = {"media_type": Image.MIME.get(picture.format or "", "image"),
                          "width": picture.width, "height": picture.height,
                          "created": exif.get(306)}  # 306: DateTime
        record.update(ocr_text(picture) if ocr else none_text())
    return record


def ocr_text(picture: Any) -> Record:
    """OCR only where the optional tesseract is installed; confidence is tesseract's mean."""
    try:
        import pytesseract  # type: ignore[import-not-found]
    except ImportError:
        return none_text()
    if shutil.which("tesseract") is None:
        return none_text()
    data = pytesseract.image_to_data(picture, output_type=pytesseract.Output.DICT)
    words = [w for w, c in zip(data["text"], data["conf"], strict=True) if w.strip() and
             float(c) >= 0]
    confidences = [float(c) for w, c in zip(data["text"], data["conf"], strict=True)
                   if w.strip() and float(c) >= 0]
    confidence = sum(confidences) / len(confidences) / 100 if confidences else 0.0
    return {"text": " ".join(words) or None, "text_method": "ocr:tesseract",
            "text_confidence": round(confidence, 3)}


def audio(path: Path, _ocr: bool) -> Record:
    record: Record = {"media_type": f"audio/{path.suffix.lstrip('.').lower()}", **none_text()}
    if path.suffix.lower() == ".wav":
        with wave.open(str(path), "rb") as sound:
            record["duration_seconds"] = round(sound.getnframes() / sound.getframerate(), 3)
            record["media_type"] = "audio/wav"
    return record


def parsed(text: str, parser: str) -> Record:
    return {"text": text or None, "text_method": f"parser:{parser}",
            "text_confidence": 1.0 if text else 0.0}


def none_text() -> Record:
    return {"text": None, "text_method": "none", "text_confidence": 0.0}


HANDLERS: dict[str, Callable[[Path, bool], Record]] = {
    ".pdf": pdf, ".docx": docx, ".txt": txt, ".text": txt, ".html": html, ".htm": html,
    ".eml": eml, ".png": image, ".jpg": image, ".jpeg": image, ".tif": image, ".tiff": image,
    ".gif": image, ".bmp": image, ".wav": audio, ".mp3": audio, ".ogg": audio, ".flac": audio,
    ".m4a": audio,
}


def open_document(path: Path, ocr: bool) -> TableSource:
    """One record for the file; a file we cannot read becomes a quarantined record."""
    handler = HANDLERS.get(path.suffix.lower())
    base: Record = {"document_id": path.stem, "file_name": path.name,
                    "size_bytes": path.stat().st_size}
    rejects: list[Reject] = []
    records: list[Record] = []
    if handler is None:
        rejects.append(Reject(1, f"unsupported document type {path.suffix or '(none)'}",
                              path.name, "file_name"))
    else:
        try:
            records.append({**base, **handler(path, ocr)})
        except Exception as error:  # parsers raise many types; the sender gets the message
            rejects.append(Reject(1, f"cannot read {path.suffix} document: "
                                     f"{type(error).__name__}: {error}"[:300], path.name,
                                  "file_name"))
    arrays = [pa.array([_text(r.get(f)) for r in records], pa.string()) for f in FIELDS]
    batch = pa.RecordBatch.from_arrays([*arrays, pa.array([1] * len(records), pa.int64())],
                                       names=[*FIELDS, ROW])
    return TableSource(path=path, columns=list(FIELDS), produce=iter([batch]), rejects=rejects)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)
