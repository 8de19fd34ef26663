"""Missing persons: where and when a person was found before, ranked and ready for a map."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from odahub.engine import Engine
from odahub.errors import NotFound

WHEREABOUTS_SQL = """
WITH found AS (SELECT person_id, found_oa, found_location, found_hour, event_date
               FROM an_events WHERE event_type = 'missing_episode' AND found_oa IS NOT NULL
               {where}),
per_place AS (SELECT person_id, found_oa AS oa_code, COUNT(*) AS episodes,
              MAX(event_date) AS last_found, mode(found_location) AS usual_location,
              mode(found_hour) AS usual_hour
              FROM found GROUP BY person_id, found_oa)
SELECT p.person_id, p.oa_code, p.episodes,
       p.episodes / SUM(p.episodes) OVER (PARTITION BY p.person_id) AS share,
       RANK() OVER (PARTITION BY p.person_id ORDER BY p.episodes DESC, p.last_found DESC) AS rank,
       p.last_found, p.usual_location, p.usual_hour, a.latitude, a.longitude
FROM per_place p LEFT JOIN an_areas a ON a.oa_code = p.oa_code
ORDER BY p.person_id, rank
"""

WHEN_SQL = """
SELECT found_hour AS hour, dayofweek(event_date) AS weekday, COUNT(*) AS episodes
FROM an_events WHERE event_type = 'missing_episode' AND person_id = '{person}'
GROUP BY found_hour, dayofweek(event_date) ORDER BY episodes DESC
"""


def whereabouts_mart(engine: Engine) -> pa.Table:
    """Every person with missing episodes: found places ranked (marts/missing_whereabouts)."""
    return engine.sql(WHEREABOUTS_SQL.format(where=""))


def _quote(value: str) -> str:
    return value.replace("'", "''")


def whereabouts(engine: Engine, person_id: str) -> dict[str, Any]:
    """Places (ranked, as GeoJSON points) and times (hour x weekday) a person was found."""
    person = _quote(person_id)
    places = engine.sql(WHEREABOUTS_SQL.format(where=f"AND person_id = '{person}'")).to_pylist()
    if not places:
        raise NotFound(f"no missing episodes recorded for {person_id}")
    times = engine.sql(WHEN_SQL.format(person=person)).to_pylist()
    hours = [0] * 24
    weekdays = [0] * 7
    for row in times:  # at most 24 x 7 cells
        if row["hour"] is not None:
            hours[int(row["hour"])] += row["episodes"]
        weekdays[int(row["weekday"])] += row["episodes"]
    features = [{"type": "Feature",
                 "geometry": ({"type": "Point", "coordinates": [p["longitude"], p["latitude"]]}
                              if p["latitude"] is not None else None),
                 "properties": {k: (str(v) if k == "last_found" else v) for k, v in p.items()
                                if k not in ("latitude", "longitude")}} for p in places]
    return {"person_id": person_id, "episodes": sum(p["episodes"] for p in places),
            "places": {"type": "FeatureCollection", "features": features},
            "hours": hours, "weekdays_sun_first": weekdays,
            "likely_hours": sorted(range(24), key=lambda h: -hours[h])[:3]}
