"""Read the county's feeds back with plain pandas, for tests (ingest has its own readers)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET  # noqa: N817
from pathlib import Path

import pandas as pd

from odahub.synth.feeds.base import Feed


def read_feed(county: Path, feed: Feed) -> pd.DataFrame:
    path = county / "feeds" / feed.dataset / feed.file
    if feed.format == "csv":
        return pd.read_csv(path, sep=feed.option("delimiter", ","), dtype=str,
                           encoding=feed.option("encoding", "utf-8"), keep_default_na=False,
                           na_values=[""], on_bad_lines="skip", engine="python")
    if feed.format == "xlsx":
        return pd.read_excel(path, sheet_name=feed.option("sheet"),
                             header=int(feed.option("header_row", 1)) - 1, dtype=object)
    if feed.format == "ndjson":
        lines = path.read_text(encoding="utf-8").splitlines()
        return pd.json_normalize([json.loads(line) for line in lines])
    if feed.format == "json":
        document = json.loads(path.read_text(encoding="utf-8"))
        for key in str(feed.options.get("record_path", "") or "").split("."):
            if key:
                document = document[key]
        return pd.json_normalize(document)
    if feed.format == "xml":
        root = ET.parse(path).getroot()  # noqa: S314 - our own generated file
        rows = [{child.tag: child.text for child in record}
                for record in root.iter(feed.options["record_path"])]
        return pd.DataFrame(rows)
    if feed.format == "parquet":
        return pd.read_parquet(path)
    raise AssertionError(feed.format)
