"""Web fixtures: a tiny hand-written hub, an app on it, and logged-in clients per demo user."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from odahub.governance.demo import DEMO_PASSWORD
from odahub.hub import Hub
from odahub.web.app import create_app
from tests.web.small_hub import small_hub

PURPOSES = {"analyst": "analytics", "admin": "analytics", "auditor": "analytics"}


@pytest.fixture(scope="module")
def web_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    hub = small_hub(tmp_path_factory.mktemp("web") / "home")
    yield hub
    hub.close()


@pytest.fixture(scope="module")
def app(web_hub: Hub):  # type: ignore[no-untyped-def]
    return create_app(web_hub)


def login(client: TestClient, username: str, purpose: str | None = "default") -> TestClient:
    page = client.get("/login")
    assert page.status_code == 200, page.text
    token = client.cookies.get("odahub_csrf")
    response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD,
                                           "csrf_token": token, "next": "/"})
    assert response.status_code == 303, response.text
    if purpose is not None:
        chosen = PURPOSES.get(username, "early_help") if purpose == "default" else purpose
        response = client.post("/purpose", data={"purpose": chosen, "csrf_token": token,
                                                 "justification": "web test case 1", "next": "/"})
        assert response.status_code == 303, response.text
    return client


@pytest.fixture
def client_for(app) -> Iterator[Callable[..., TestClient]]:  # type: ignore[no-untyped-def]
    made: list[TestClient] = []

    def make(username: str, purpose: str | None = "default") -> TestClient:
        client = TestClient(app, follow_redirects=False)
        made.append(client)
        return login(client, username, purpose)

    yield make
    for client in made:
        client.close()


@pytest.fixture
def anonymous(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, follow_redirects=False) as client:
        yield client


HOME = Path(__file__).parent
