"""The web app over a hub on which the whole pipeline ran (the session's synthetic county)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from odahub.hub import Hub
from odahub.web.app import create_app
from tests.web.conftest import login

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def county_app(pipeline_hub: Hub) -> Iterator[TestClient]:
    with TestClient(create_app(pipeline_hub), follow_redirects=False) as client:
        yield client


def test_practitioner_finds_a_true_person_and_sees_their_picture(
        county_app: TestClient, county: Path) -> None:
    persons = pq.read_table(county / "truth" / "persons.parquet").to_pylist()
    records = pq.read_table(county / "truth" / "records.parquet")
    known = set(records["person_id"].to_pylist())
    person = next(p for p in persons if p["person_id"] in known and p["date_of_death"] is None)
    first, last = person["first_name"], person["last_name"]
    client = login(county_app, "practitioner")
    hits = client.get("/api/v1/search", params={"name": f"{first} {last}"}).json()["hits"]
    assert hits, (first, last)
    assert any(h["last_name"] == last.upper() for h in hits), hits
    view = client.get(f"/api/v1/persons/{hits[0]['person_id']}")
    assert view.status_code == 200 and view.json()["timeline"], view.text
    for page in ("/search?name=" + last, f"/persons/{hits[0]['person_id']}", "/risk", "/areas",
                 "/catalog", "/linkage", "/governance", "/benefits"):
        assert client.get(page).status_code == 200, page


def test_risk_lists_and_areas_over_the_county(county_app: TestClient) -> None:
    client = login(county_app, "analyst")
    models = client.get("/api/v1/risk").json()
    for model in models:
        body = client.get(f"/api/v1/risk/{model}", params={"limit": 5}).json()
        assert body["rows"] and body["rows"][0]["rank"] == 1, body
    features = client.get("/api/v1/areas").json()["features"]
    assert features and any(f["properties"].get("events") for f in features)
