"""Input adapters: the canonical relations from the lake, or from a synthetic county's truth."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from odahub.analyse.relations import (
    AREAS_COLUMNS,
    EVENT_ATTRIBUTES,
    EVENTS_COLUMNS,
    MEMBERS_COLUMNS,
    Inputs,
    agencies_sql,
    conform,
    empty,
)
from odahub.engine import Engine
from odahub.errors import NotFound
from odahub.hub import Hub

RECORD_COLUMNS = ("event_type", "event_date", "oa_code", "birth_year", "birth_month", "sex",
                  "ethnicity", *EVENT_ATTRIBUTES)


def from_lake(hub: Hub) -> Inputs:
    """Canonical relations from `pseudonymised/*` joined to `linked/links` and households."""
    engine, lake = hub.engine, hub.lake
    datasets = lake.tables("pseudonymised")
    if not datasets or lake.latest("linked", "links") is None:
        raise NotFound("analyse needs pseudonymised datasets and linked/links: run privacy "
                       "and link first")
    selects = []
    for name in datasets:
        version = lake.require_latest("pseudonymised", name)
        view = f"ps_{name}"
        engine.register_parquet(view, lake.files_of(version))
        present = set(engine.sql(f"SELECT * FROM {view} LIMIT 0").column_names)
        cols = [f'CAST("{c}" AS VARCHAR) AS {c}' if c in present
                else f"CAST(NULL AS VARCHAR) AS {c}" for c in RECORD_COLUMNS]
        selects.append(f"SELECT '{name}' AS dataset, CAST(record_id AS VARCHAR) AS record_id, "
                       f"{', '.join(cols)} FROM {view}")
    engine.register_parquet("an_links", lake.files_of(lake.require_latest("linked", "links")))
    engine.execute("CREATE OR REPLACE TEMP VIEW an_records AS SELECT r.*, l.person_id, "
                   "l.household_id FROM (" + " UNION ALL ".join(selects) + ") r JOIN an_links l "
                   "ON l.dataset = r.dataset AND CAST(l.record_id AS VARCHAR) = r.record_id")
    present = set(EVENTS_COLUMNS) | {"agency"}
    events_view = (f"(SELECT r.*, a.agency FROM an_records r LEFT JOIN {agencies_sql('a')} "
                   "ON a.event_type = r.event_type WHERE r.event_date IS NOT NULL "
                   "AND r.event_type IS NOT NULL) AS ev")
    events = conform(engine, events_view, EVENTS_COLUMNS, present)
    persons = engine.sql(
        "SELECT person_id, arg_max(household_id, COALESCE(TRY_CAST(event_date AS DATE), "
        "DATE '1900-01-01')) AS household_id, "
        "TRY_CAST(make_date(CAST(mode(TRY_CAST(birth_year AS INTEGER)) AS BIGINT), "
        "CAST(coalesce(mode(TRY_CAST(birth_month AS INTEGER)), 7) AS BIGINT), 1) AS DATE) "
        "AS birth_date, mode(sex) AS sex, mode(ethnicity) AS ethnicity, "
        "arg_max(oa_code, CASE WHEN oa_code IS NULL THEN NULL ELSE COALESCE(TRY_CAST("
        "event_date AS DATE), DATE '1900-01-01') END) AS oa_code "
        "FROM an_records GROUP BY person_id")
    return Inputs(events=events, persons=persons, members=_members(hub, engine),
                  areas=_areas_from_lake(hub, engine), source="lake")


def _members(hub: Hub, engine: Engine) -> pa.Table:
    version = hub.lake.latest("linked", "households")
    if version is None:
        return empty(MEMBERS_COLUMNS, engine)
    engine.register_parquet("an_households_raw", hub.lake.files_of(version))
    present = set(engine.sql("SELECT * FROM an_households_raw LIMIT 0").column_names)
    return conform(engine, "an_households_raw", MEMBERS_COLUMNS, present)


def _areas_from_lake(hub: Hub, engine: Engine) -> pa.Table:
    version = hub.lake.latest("reference", "output_areas")
    if version is None:
        return empty(AREAS_COLUMNS, engine)
    engine.register("an_areas_raw", hub.lake.read_table(version))
    present = set(engine.sql("SELECT * FROM an_areas_raw LIMIT 0").column_names)
    return conform(engine, "an_areas_raw", AREAS_COLUMNS, present,
                   renames={"latitude": _first(present, "centroid_latitude", "latitude", "lat"),
                            "longitude": _first(present, "centroid_longitude", "longitude",
                                                     "lon")})


def _first(present: set[str], *names: str) -> str:
    return next((n for n in names if n in present), names[0])


def areas_from_geojson(path: Path, engine: Engine) -> pa.Table:
    """Output areas with centroids (mean of polygon vertices: enough for a density baseline)."""
    if not path.exists():
        return empty(AREAS_COLUMNS, engine)
    features = json.loads(path.read_text())["features"]
    rows: dict[str, list[object]] = {name: [] for name in AREAS_COLUMNS}
    for feature in features:  # one row per output area, a few thousand at most
        props = feature.get("properties", {})
        ring = _outer_ring(feature.get("geometry") or {})
        for name in ("oa_code", "lsoa_code", "ward_code", "imd_decile"):
            rows[name].append(props.get(name))
        rows["longitude"].append(sum(p[0] for p in ring) / len(ring) if ring else None)
        rows["latitude"].append(sum(p[1] for p in ring) / len(ring) if ring else None)
    engine.register("an_areas_geo", pa.table(rows))
    return conform(engine, "an_areas_geo", AREAS_COLUMNS, set(AREAS_COLUMNS))


def _outer_ring(geometry: dict[str, object]) -> list[list[float]]:
    coords = geometry.get("coordinates") or []
    if geometry.get("type") == "MultiPolygon":
        coords = coords[0] if coords else []  # type: ignore[index]
    return list(coords[0]) if coords else []  # type: ignore[index]


def read_parquet(path: Path) -> pa.Table | None:
    return pq.read_table(path) if path.exists() else None


def from_truth(directory: Path, engine: Engine) -> Inputs:
    """Canonical relations straight from a synthetic county's truth (for developing models).

    Truth ids are the generator's (`S…`); the latent probabilities stay in `truth_*` and are
    used only to report the best achievable score, never as features.
    """
    truth = directory / "truth"
    events_raw = read_parquet(truth / "events.parquet")
    persons_raw = read_parquet(truth / "persons.parquet")
    households_raw = read_parquet(truth / "households.parquet")
    if events_raw is None or persons_raw is None or households_raw is None:
        raise NotFound(f"no synthetic truth under {truth}: run `odahub synth --out {directory}`")
    engine.register("an_truth_events", _flatten_attributes(events_raw, engine))
    engine.register("an_truth_persons", persons_raw)
    engine.register("an_truth_households", households_raw)
    engine.register("an_truth_postcodes", _postcodes(directory, engine))
    engine.execute(TRUTH_HOMES_SQL)
    persons = engine.sql(
        "SELECT p.person_id, p.household_id, CAST(p.date_of_birth AS DATE) AS birth_date, "
        "p.sex, p.ethnicity, h.oa_code FROM an_truth_persons p "
        "LEFT JOIN an_truth_households h ON h.household_id = p.household_id")
    members = engine.sql(TRUTH_MEMBERS_SQL)
    present = set(engine.sql("SELECT * FROM an_truth_events LIMIT 0").column_names)
    events_view = (f"(SELECT t.*, a.agency, 'truth' AS dataset, t.event_id AS record_id, "
                   "(SELECT ho.oa_code FROM an_truth_homes ho WHERE ho.household_id = "
                   "t.household_id AND (ho.until IS NULL OR t.event_date < ho.until) AND "
                   "(ho.since IS NULL OR t.event_date >= ho.since) LIMIT 1) AS oa_code "
                   f"FROM an_truth_events t LEFT JOIN {agencies_sql('a')} "
                   "ON a.event_type = t.event_type) AS ev")
    events = conform(engine, events_view, EVENTS_COLUMNS,
                     present | {"agency", "dataset", "record_id", "oa_code"})
    areas = areas_from_geojson(directory / "reference" / "output_areas.geojson", engine)
    return Inputs(events=events, persons=persons, members=members, areas=areas,
                  source="truth", truth_persons=persons_raw, truth_households=households_raw,
                  truth_events=events_raw)


# A household's output area over time: its first address until it moved, then the new one.
TRUTH_HOMES_SQL = """
CREATE OR REPLACE TEMP TABLE an_truth_homes AS
SELECT h.household_id, COALESCE(pc.oa_code, h.oa_code) AS oa_code, CAST(NULL AS DATE) AS since,
       CAST(h.move_date AS DATE) AS until
FROM an_truth_households h LEFT JOIN an_truth_postcodes pc ON pc.postcode = h.first_postcode
UNION ALL
SELECT household_id, oa_code, CAST(move_date AS DATE), CAST(NULL AS DATE)
FROM an_truth_households WHERE move_date IS NOT NULL
"""

# Membership history: the first household until the change, the final one after it.
TRUTH_MEMBERS_SQL = """
SELECT first_household_id AS household_id, person_id, CAST(NULL AS DATE) AS valid_from,
       CAST(household_change_date AS DATE) AS valid_to
FROM an_truth_persons WHERE household_change_date IS NOT NULL
UNION ALL
SELECT household_id, person_id, CAST(household_change_date AS DATE), CAST(NULL AS DATE)
FROM an_truth_persons
"""


def _postcodes(directory: Path, engine: Engine) -> pa.Table:
    path = directory / "reference" / "postcodes.csv"
    if not path.exists():
        return engine.sql("SELECT CAST(NULL AS VARCHAR) AS postcode, "
                          "CAST(NULL AS VARCHAR) AS oa_code WHERE 1 = 0")
    return pa_csv.read_csv(path).select(["postcode", "oa_code"])


def _flatten_attributes(table: pa.Table, engine: Engine) -> pa.Table:
    """Truth attributes are a JSON object per event; the analyses want plain columns."""
    if "attributes" not in table.column_names:
        return table
    engine.register("an_truth_attr", table)
    parts = [f"json_extract_string(attributes, '$.{name}') AS {name}"
             for name in EVENT_ATTRIBUTES if name not in table.column_names]
    return engine.sql(f"SELECT * EXCLUDE (attributes), {', '.join(parts)} FROM an_truth_attr")
