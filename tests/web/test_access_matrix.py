"""The access matrix over every data-returning route and page of the web app.

For each demo user (every role, several partners, untrained, unnominated), each route is called
and the answer compared with an oracle written from the demo agreements, independently of the
policy code: zero unexpected allows; every refusal is the common 404. A second hub ends or
postpones the agreements and checks that access stops at once.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from odahub.catalog.base import utcnow
from odahub.catalog.tables.governance import Agreement
from odahub.governance import agreements, audit
from odahub.web.app import create_app
from tests.web.conftest import login
from tests.web.small_hub import DATASETS, small_hub

FEEDS = set(DATASETS)
# Who may read partner data under the demo agreements, at which level (the oracle).
IDENTIFIED = {"practitioner", "officer", "dpo_police", "dpo_county_council"}
PSEUDONYMISED = {"analyst", "admin"}
USERS = [*sorted(IDENTIFIED | PSEUDONYMISED), "auditor", "untrained", "unnominated"]
OVERSEERS = {"admin", "auditor"}
OWNERS = {"dpo_police", "dpo_county_council"}

# (path, who may get a 200 with data) for every data-returning GET route and page.
PERSON_ROUTES = ["/api/v1/persons/P-000001", "/persons/P-000001", "/api/v1/risk/da_escalation",
                 "/risk/da_escalation"]
OVERSIGHT = {"/api/v1/governance/audit": OVERSEERS, "/governance/audit": OVERSEERS,
             "/api/v1/governance/users": OVERSEERS | OWNERS,
             "/governance/users": OVERSEERS | OWNERS,
             "/api/v1/governance/usage": OVERSEERS | OWNERS,
             "/api/v1/governance/who-viewed": OVERSEERS | OWNERS,
             "/api/v1/governance/audit/verify": OVERSEERS,
             "/api/v1/governance/rights": OVERSEERS | OWNERS,
             "/governance/usage": OVERSEERS | OWNERS}
READERS = IDENTIFIED | PSEUDONYMISED


def readers_of_person(user: str) -> bool:
    return user in READERS


@pytest.fixture(scope="module")
def clients(app) -> dict[str, TestClient]:  # type: ignore[no-untyped-def]
    made = {user: login(TestClient(app, follow_redirects=False), user) for user in USERS}
    yield made  # type: ignore[misc]
    for client in made.values():
        client.close()


@pytest.mark.parametrize("user", USERS)
def test_person_level_routes(clients, user: str) -> None:  # type: ignore[no-untyped-def]
    client = clients[user]
    for path in PERSON_ROUTES:
        response = client.get(path)
        expected = 200 if readers_of_person(user) else 404
        assert response.status_code == expected, (user, path, response.status_code)
    person = client.get("/api/v1/persons/P-000001")
    if person.status_code == 200:
        body = person.json()
        assert {r["dataset"] for r in body["records"]} <= FEEDS
        assert (body["level"] == "identified") == (user in IDENTIFIED), (user, body["level"])
        if user not in IDENTIFIED:
            assert "SMITH" not in person.text and "9434765919" not in person.text


@pytest.mark.parametrize("user", USERS)
def test_search_and_areas_return_nothing_unreadable(clients, user: str) -> None:  # type: ignore[no-untyped-def]
    client = clients[user]
    hits = client.get("/api/v1/search", params={"nominal_id": "P-000001"}).json()["hits"]
    assert bool(hits) == readers_of_person(user), (user, hits)
    names = client.get("/api/v1/search", params={"name": "smith"}).json()["hits"]
    assert bool(names) == (user in IDENTIFIED), (user, names)
    areas = client.get("/api/v1/areas").json()["features"]
    counted = any(f["properties"].get("events") for f in areas)
    assert counted == readers_of_person(user), user
    models = client.get("/api/v1/risk").json()
    assert bool(models) == readers_of_person(user), (user, models)


@pytest.mark.parametrize("user", USERS)
def test_oversight_routes(clients, user: str) -> None:  # type: ignore[no-untyped-def]
    for path, allowed in OVERSIGHT.items():
        response = clients[user].get(path)
        assert response.status_code == (200 if user in allowed else 404), (user, path)


def test_refusals_are_audited(clients, web_hub) -> None:  # type: ignore[no-untyped-def]
    clients["unnominated"].get("/api/v1/persons/P-000002")
    entries = audit.entries(web_hub.catalog, actor="unnominated", action="person.view")
    assert entries and all(e["outcome"] == "denied" for e in entries)


def test_every_data_route_is_in_the_matrix(app) -> None:  # type: ignore[no-untyped-def]
    covered = {p.split("?")[0] for p in [*PERSON_ROUTES, *OVERSIGHT]} | {
        "/api/v1/search", "/api/v1/areas", "/api/v1/risk"}
    routes = {path for path, operations in app.openapi()["paths"].items()
              if "get" in operations and "{" not in path}
    assert "/api/v1/search" in routes, routes
    # Metadata routes (no partner rows): who am I, agreements, feeds, trends of allowed data.
    metadata = {"/api/v1/me", "/api/v1/governance/agreements", "/api/v1/datasets",
                "/api/v1/areas/trends", "/api/v1/linkage/reviews", "/api/v1/reid",
                "/api/v1/openapi.json", "/api/v1/docs"}
    assert routes - covered - metadata == set(), routes - covered - metadata


@pytest.fixture(scope="module")
def ended_hub(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    hub = small_hub(tmp_path_factory.mktemp("ended") / "home")
    yield hub
    hub.close()


@pytest.mark.slow
@pytest.mark.parametrize("change", ["ended", "future"])
def test_agreements_out_of_force_stop_access(ended_hub, change: str) -> None:  # type: ignore[no-untyped-def]
    catalog = ended_hub.catalog
    if change == "ended":
        for code in ("ISA-T2-EARLY-HELP", "ISA-T2-ANALYTICS"):
            agreements.end(catalog, code, on=utcnow().date() - timedelta(days=1))
    else:
        with catalog.session() as session:
            session.execute(update(Agreement).values(
                start_date=utcnow().date() + timedelta(days=30), revoked_at=None,
                end_date=utcnow().date() + timedelta(days=400)))
    app = create_app(ended_hub)
    for user in ("practitioner", "analyst", "dpo_police"):
        with TestClient(app, follow_redirects=False) as client:
            login(client, user)
            for path in PERSON_ROUTES:
                assert client.get(path).status_code == 404, (change, user, path)
            assert client.get("/api/v1/search", params={"nominal_id": "P-000001"}).json()[
                "hits"] == []



@pytest.fixture(scope="module")
def changing_hub(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    hub = small_hub(tmp_path_factory.mktemp("changing") / "home")
    yield hub
    hub.close()


def test_changes_in_a_running_app_take_effect_at_once(changing_hub) -> None:  # type: ignore[no-untyped-def]
    """The app reuses verified callers and policy inputs for a few seconds (ADR 0074); a
    governance change made through governance in this process still applies to the next read."""
    from odahub.governance import trail, users
    from odahub.governance.demo import DEMO_PASSWORD

    catalog = changing_hub.catalog
    today = utcnow().date()
    bound = trail.trail_for(catalog)  # checkpoints only when due, or at the app's shutdown
    trail.bind(catalog, trail.AuditTrail(bound.key, bound.checkpoint_dir, every_seconds=3600,
                                         every_entries=10**6))
    users.create(catalog, "temp_worker", partner="county_council", roles=["practitioner"],
                 password=DEMO_PASSWORD, nominated=True, training_completed=today,
                 training_expires=today + timedelta(days=300))
    app = create_app(changing_hub)
    with TestClient(app, follow_redirects=False) as worker, \
            TestClient(app, follow_redirects=False) as colleague:
        login(worker, "temp_worker")
        login(colleague, "practitioner")
        for client in (worker, colleague):
            assert client.get("/api/v1/persons/P-000001").status_code == 200
        users.update(catalog, "temp_worker", training_expires=today - timedelta(days=1))
        assert worker.get("/api/v1/persons/P-000001").status_code == 404
        users.update(catalog, "temp_worker", training_expires=today + timedelta(days=300))
        assert worker.get("/api/v1/persons/P-000001").status_code == 200
        users.set_active(catalog, "temp_worker", False)  # ends its sessions
        assert worker.get("/api/v1/me").status_code == 401
        agreements.end(catalog, "ISA-T2-EARLY-HELP")
        assert colleague.get("/api/v1/persons/P-000001").status_code == 404
        assert colleague.get("/api/v1/search", params={"name": "Smith"}).json()["hits"] == []
        signed = [point.seq for point in trail.trail_for(catalog).read_checkpoints()]
        assert signed[-1] < audit.head(catalog)
    # Shutting the app down signed the chain head: cutting the last entry would be caught.
    assert trail.trail_for(catalog).read_checkpoints()[-1].seq == audit.head(catalog)
