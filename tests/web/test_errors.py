"""One error shape for every /api/v1 error; a refusal is byte-identical to a missing thing."""

from __future__ import annotations

from fastapi.testclient import TestClient

from odahub.governance import audit

SHAPE = {"error"}
DETAIL = {"status", "code", "message", "problems"}


def assert_shape(response, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    assert set(body) == SHAPE, body
    assert set(body["error"]) == DETAIL, body
    assert body["error"]["status"] == status, body
    return body  # type: ignore[no-any-return]


def test_not_logged_in_is_401_with_the_shape(anonymous: TestClient) -> None:
    body = assert_shape(anonymous.get("/api/v1/search?name=smith"), 401)
    assert body["error"]["code"] == "unauthorised"


def test_bad_token_is_401(anonymous: TestClient) -> None:
    response = anonymous.get("/api/v1/me", headers={"Authorization": "Bearer odh_nope_nope"})
    assert_shape(response, 401)


def test_missing_purpose_is_400(client_for) -> None:  # type: ignore[no-untyped-def]
    body = assert_shape(client_for("practitioner", purpose=None).get("/api/v1/search"), 400)
    assert "purpose" in body["error"]["message"].lower()


def test_validation_error_is_422_with_problems(client_for) -> None:  # type: ignore[no-untyped-def]
    body = assert_shape(client_for("practitioner").get("/api/v1/search?limit=0"), 422)
    assert body["error"]["problems"], body


def test_unknown_route_is_404(client_for) -> None:  # type: ignore[no-untyped-def]
    assert_shape(client_for("practitioner").get("/api/v1/nothing-here"), 404)


def test_denied_is_identical_to_missing_and_audited(client_for, web_hub) -> None:  # type: ignore[no-untyped-def]
    untrained = client_for("untrained")
    denied = untrained.get("/api/v1/persons/P-000001")
    missing = client_for("practitioner").get("/api/v1/persons/P-999999")
    assert_shape(denied, 404)
    assert denied.content == missing.content
    entries = audit.entries(web_hub.catalog, actor="untrained", action="person.view")
    assert entries and entries[0]["outcome"] == "denied", entries


def test_domain_errors_keep_their_problems(client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for("practitioner")
    csrf = client.cookies.get("odahub_csrf")
    response = client.post("/api/v1/risk/da_escalation/reviews", headers={"X-CSRF-Token": csrf},
                           json={"entity_id": "H-001", "decision": "override_raise"})
    body = assert_shape(response, 400)
    assert body["error"]["problems"][0]["column"] == "reason", body


def test_server_errors_have_the_shape(app) -> None:  # type: ignore[no-untyped-def]
    from fastapi import APIRouter

    router = APIRouter()

    @router.get("/api/v1/_boom_for_test")
    def boom() -> None:
        raise RuntimeError("boom")

    app.include_router(router)
    with TestClient(app, raise_server_exceptions=False) as client:
        body = assert_shape(client.get("/api/v1/_boom_for_test"), 500)
    assert "boom" not in body["error"]["message"]
