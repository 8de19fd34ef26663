"""Readers, one per format; `open_source` picks one and checks the header against the spec."""

from __future__ import annotations

from pathlib import Path

from odahub.ingest.readers.base import ROW, Reject, Source, check_header, fail
from odahub.ingest.spec import FeedSpec

__all__ = ["ROW", "Reject", "Source", "open_source"]


def open_source(path: Path, spec: FeedSpec, workdir: Path) -> Source:
    """Open one delivered file for streaming and check its columns against the spec."""
    if not path.is_file():
        raise fail("no such file", path)
    source = _open(path, spec, workdir)
    try:
        if spec.format == "documents":
            missing = [c for c in [spec.record_id, *spec.columns] if c not in source.columns]
            if missing:
                raise fail(f"documents give the columns {', '.join(source.columns)}; the spec "
                           f"names {', '.join(missing)}", path, column=missing[0])
        else:
            check_header(path, source.columns, spec)
    except BaseException:
        source.close()
        raise
    return source


def _open(path: Path, spec: FeedSpec, workdir: Path) -> Source:
    if spec.format == "csv":
        from odahub.ingest.readers.csv import CsvSource

        return CsvSource(path, spec, workdir)
    if spec.format in ("json", "ndjson"):
        from odahub.ingest.readers.jsonfile import JsonSource

        return JsonSource(path, spec, workdir)
    if spec.format == "xlsx":
        from odahub.ingest.readers.excel import open_excel

        return open_excel(path, spec)
    if spec.format == "xml":
        from odahub.ingest.readers.xml import open_xml

        return open_xml(path, spec.options.record_path)
    if spec.format == "parquet":
        from odahub.ingest.readers.parquet import open_parquet

        return open_parquet(path)
    from odahub.ingest.readers.documents import open_document

    return open_document(path, spec.options.ocr)
