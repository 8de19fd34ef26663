"""Login, logout, sessions, CSRF, API tokens, and the purpose asked once per session."""

from __future__ import annotations

from fastapi.testclient import TestClient

from odahub.governance import tokens
from odahub.governance.demo import DEMO_PASSWORD


def test_pages_send_strangers_to_login(anonymous: TestClient) -> None:
    response = anonymous.get("/search?name=x")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=%2Fsearch")


def test_wrong_password_is_refused(anonymous: TestClient) -> None:
    anonymous.get("/login")
    csrf = anonymous.cookies.get("odahub_csrf")
    response = anonymous.post("/login", data={"username": "practitioner", "password": "wrong",
                                              "csrf_token": csrf})
    assert response.status_code == 401
    assert "odahub_session" not in response.cookies


def test_login_needs_the_csrf_token(anonymous: TestClient) -> None:
    anonymous.get("/login")
    response = anonymous.post("/login", data={"username": "practitioner",
                                              "password": DEMO_PASSWORD, "csrf_token": "forged"})
    assert response.status_code == 403


def test_session_cookie_is_httponly_and_samesite(anonymous: TestClient) -> None:
    anonymous.get("/login")
    csrf = anonymous.cookies.get("odahub_csrf")
    response = anonymous.post("/login", data={"username": "practitioner",
                                              "password": DEMO_PASSWORD, "csrf_token": csrf})
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie, cookie


def test_purpose_is_asked_once_then_remembered(client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for("practitioner", purpose=None)
    first = client.get("/search")
    assert first.status_code == 303 and first.headers["location"].startswith("/purpose")
    csrf = client.cookies.get("odahub_csrf")
    chosen = client.post("/purpose", data={"purpose": "early_help", "csrf_token": csrf,
                                           "justification": "referral 42", "next": "/search"})
    assert chosen.status_code == 303
    assert client.get("/search").status_code == 200


def test_purpose_must_be_a_real_one(client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for("practitioner", purpose=None)
    csrf = client.cookies.get("odahub_csrf")
    response = client.post("/purpose", data={"purpose": "curiosity", "csrf_token": csrf,
                                             "justification": "just looking"})
    assert response.status_code == 422


def test_writes_without_csrf_are_refused(client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for("practitioner")
    response = client.post("/risk/da_escalation/reviews",
                           data={"entity_id": "H-001", "decision": "accept"})
    assert response.status_code == 403


def test_logout_ends_the_session(client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for("practitioner")
    old = client.cookies.get("odahub_session")
    csrf = client.cookies.get("odahub_csrf")
    assert client.post("/logout", data={"csrf_token": csrf}).status_code == 303
    client.cookies.set("odahub_session", old)
    assert client.get("/api/v1/me").status_code == 401


def test_api_token_with_purpose_headers(anonymous: TestClient, web_hub) -> None:  # type: ignore[no-untyped-def]
    token = tokens.issue(web_hub.catalog, "practitioner", name="test")
    headers = {"Authorization": f"Bearer {token}", "X-Odahub-Purpose": "early_help",
               "X-Odahub-Justification": "api test"}
    response = anonymous.get("/api/v1/search", params={"nhs_number": "943 476 5919"},
                             headers=headers)
    assert response.status_code == 200, response.text
    assert [h["person_id"] for h in response.json()["hits"]] == ["P-000001"]


def test_token_writes_need_no_csrf(anonymous: TestClient, web_hub) -> None:  # type: ignore[no-untyped-def]
    token = tokens.issue(web_hub.catalog, "practitioner", name="test-write")
    headers = {"Authorization": f"Bearer {token}", "X-Odahub-Purpose": "early_help",
               "X-Odahub-Justification": "api test"}
    response = anonymous.post("/api/v1/risk/da_escalation/reviews", headers=headers,
                              json={"entity_id": "H-002", "decision": "accept"})
    assert response.status_code == 201, response.text


def test_security_headers(anonymous: TestClient) -> None:
    response = anonymous.get("/login")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
