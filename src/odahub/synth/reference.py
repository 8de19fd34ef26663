"""Reference files (postcode directory, output-area polygons, partners) and feed specs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from odahub.synth.feeds.base import Feed
from odahub.synth.geography import POSTCODES_PER_OA, Geography

PARTNERS = [
    {"code": "police", "name": "Oddshire Constabulary", "kind": "police"},
    {"code": "ccc", "name": "Oddshire County Council Children's Services", "kind": "council"},
    {"code": "dc_housing", "name": "Haleford District Council Housing Options",
     "kind": "council"},
    {"code": "nhs_trust", "name": "Oddshire Hospitals NHS Foundation Trust", "kind": "health"},
    {"code": "nhs_icb", "name": "NHS Oddshire Integrated Care Board", "kind": "health"},
    {"code": "fire", "name": "Oddshire Fire and Rescue Service", "kind": "fire"},
    {"code": "schools", "name": "Oddshire Schools (LA education data team)", "kind": "school"},
    {"code": "probation", "name": "Probation Service, Oddshire delivery unit",
     "kind": "probation"},
]


def write_reference(folder: Path, geo: Geography) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    oa = pd.Series(range(len(geo.postcode))) // POSTCODES_PER_OA
    lsoa = geo.lsoa_of_oa[oa.to_numpy()]
    pd.DataFrame({
        "postcode": geo.postcode, "oa_code": geo.oa_code[oa.to_numpy()],
        "lsoa_code": geo.lsoa_code[lsoa], "ward_code": geo.ward_code[geo.ward_of_lsoa[lsoa]],
        "latitude": geo.postcode_lat, "longitude": geo.postcode_lon,
    }).to_csv(folder / "postcodes.csv", index=False, lineterminator="\n")
    features = []
    for i, code in enumerate(geo.oa_code):
        lon0, lat0, lon1, lat1 = (float(v) for v in geo.cell[i])
        lsoa_i = int(geo.lsoa_of_oa[i])
        ward_i = int(geo.ward_of_lsoa[lsoa_i])
        features.append({
            "type": "Feature",
            "properties": {"oa_code": code, "lsoa_code": geo.lsoa_code[lsoa_i],
                           "lsoa_name": geo.lsoa_name[lsoa_i],
                           "ward_code": geo.ward_code[ward_i], "ward_name": geo.ward_name[ward_i],
                           "imd_decile": int(geo.imd_decile[lsoa_i])},
            "geometry": {"type": "Polygon", "coordinates": [[
                [lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]]},
        })
    collection = {"type": "FeatureCollection", "features": features}
    (folder / "output_areas.geojson").write_text(json.dumps(collection), encoding="utf-8")
    (folder / "partners.yaml").write_text(
        yaml.safe_dump({"partners": PARTNERS}, sort_keys=False, allow_unicode=True),
        encoding="utf-8")


def spec_of(feed: Feed) -> dict[str, Any]:
    spec: dict[str, Any] = {"dataset": feed.dataset, "partner": feed.partner,
                            "format": feed.format}
    if feed.options:
        spec["options"] = dict(feed.options)
    spec.update({"record_id": feed.record_id, "event_type": feed.event_type,
                 "description": feed.description, "retention_days": feed.retention_days,
                 "columns": feed.columns})
    return spec


def write_spec(folder: Path, feed: Feed) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(spec_of(feed), sort_keys=False, allow_unicode=True, width=100)
    (folder / f"{feed.dataset}.yaml").write_text(text, encoding="utf-8")
