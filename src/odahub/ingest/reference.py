"""Reference data into the `reference` zone: the postcode directory and output-area polygons
(the privacy stage derives output areas from postcodes with them)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv

from odahub.errors import DeliveryError, Problem
from odahub.hub import Hub
from odahub.ingest.deliver import sha256_of
from odahub.ingest.rules import cleaned, postcode_rule

POSTCODE_COLUMNS = ["postcode", "oa_code", "lsoa_code", "ward_code", "latitude", "longitude"]
AREA_PROPERTIES = ["oa_code", "lsoa_code", "lsoa_name", "ward_code", "ward_name", "imd_decile"]


def load_reference(hub: Hub, folder: Path) -> dict[str, int]:
    """Load postcodes.csv and output_areas.geojson; unchanged files are skipped."""
    loaded: dict[str, int] = {}
    for name, filename, reader in (("postcodes", "postcodes.csv", read_postcodes),
                                   ("output_areas", "output_areas.geojson", read_areas)):
        path = folder / filename
        if not path.is_file():
            raise DeliveryError(f"no {filename} in {folder}",
                                [Problem("missing reference file", file=str(path))])
        sha = sha256_of(path)
        latest = hub.lake.latest("reference", name)
        if latest is None or latest.sha256 != sha:
            table = reader(hub, path)
            with hub.lake.new_version("reference", name, sha256=sha, rows_read=table.num_rows,
                                      rows_accepted=table.num_rows) as writer:
                writer.write_table(table)
        loaded[name] = hub.lake.require_latest("reference", name).rows_accepted
    return loaded


def read_postcodes(hub: Hub, path: Path) -> pa.Table:
    try:
        raw = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
            column_types={c: pa.string() for c in ("postcode", "oa_code", "lsoa_code",
                                                   "ward_code")}))
    except pa.ArrowInvalid as error:
        raise DeliveryError(f"cannot read {path.name}: {error}") from error
    missing = [c for c in POSTCODE_COLUMNS if c not in raw.column_names]
    if missing:
        raise DeliveryError(f"cannot read {path.name}",
                            [Problem("column missing", file=path.name, column=c) for c in missing])
    rule = postcode_rule(cleaned("postcode"), "postcode")
    hub.engine.register("reference_postcodes", raw)
    try:
        others = ", ".join(f'"{c}"' for c in raw.column_names if c != "postcode")
        return hub.engine.sql(f"SELECT {rule.value} AS postcode, {others} "
                              f"FROM reference_postcodes WHERE {rule.value} IS NOT NULL")
    finally:
        hub.engine.unregister("reference_postcodes")


def read_areas(_hub: Hub, path: Path) -> pa.Table:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise DeliveryError(f"cannot read {path.name}: not GeoJSON ({error})") from error
    rows: list[dict[str, Any]] = []
    for feature in document.get("features", []):
        properties = feature.get("properties") or {}
        geometry = feature.get("geometry")
        longitude, latitude = centroid(geometry)
        rows.append({**{k: properties.get(k) for k in AREA_PROPERTIES},
                     "centroid_latitude": latitude, "centroid_longitude": longitude,
                     "geometry": json.dumps(geometry)})
    if not rows:
        raise DeliveryError(f"cannot read {path.name}: no features")
    table = pa.Table.from_pylist(rows)
    return table.set_column(table.schema.get_field_index("imd_decile"), "imd_decile",
                            table.column("imd_decile").cast(pa.int64()))


def centroid(geometry: dict[str, Any] | None) -> tuple[float | None, float | None]:
    """Mean of the outer ring's vertices: a label point good enough for maps."""
    if not geometry:
        return None, None
    coordinates = geometry.get("coordinates") or []
    rings = coordinates if geometry.get("type") == "Polygon" else [
        polygon[0] for polygon in coordinates]
    ring = rings[0] if rings else []
    if not ring:
        return None, None
    return (sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring))
