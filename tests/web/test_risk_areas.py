"""Risk lists with review decisions; the area map, trends and profiles."""

from __future__ import annotations

from odahub.analyse import registry


def test_risk_list_ranked_and_explained(client_for) -> None:  # type: ignore[no-untyped-def]
    body = client_for("analyst").get("/api/v1/risk/da_escalation").json()
    assert [r["entity_id"] for r in body["rows"]] == ["H-001", "H-002", "H-003"]
    assert all(r["explanation"] for r in body["rows"])
    assert body["total"] == 3 and set(body["tiers"]) == {"high", "medium", "low"}


def test_risk_list_filters_by_tier_and_area(client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for("analyst")
    high = client.get("/api/v1/risk/da_escalation", params={"tier": "high"}).json()
    assert [r["entity_id"] for r in high["rows"]] == ["H-001"]
    area = client.get("/api/v1/risk/da_escalation", params={"area": "E00000002"}).json()
    assert {r["entity_id"] for r in area["rows"]} == {"H-002", "H-003"}


def test_review_decision_is_recorded_by_the_registry(client_for, web_hub) -> None:  # type: ignore[no-untyped-def]
    client = client_for("officer")
    csrf = client.cookies.get("odahub_csrf")
    response = client.post("/risk/da_escalation/reviews", data={
        "entity_id": "H-003", "decision": "override_raise", "reason": "new DA report today",
        "csrf_token": csrf})
    assert response.status_code == 200 and "Recorded" in response.text, response.text
    (decision,) = registry.decisions(web_hub.catalog, "da_escalation", "H-003")
    assert decision.decided_by == "officer" and decision.reason == "new DA report today"
    assert decision.score == 0.12 and decision.tier == "low"


def test_unknown_model_and_unreadable_lists_are_404(client_for) -> None:  # type: ignore[no-untyped-def]
    assert client_for("analyst").get("/api/v1/risk/nope").status_code == 404
    assert client_for("auditor").get("/api/v1/risk/da_escalation").status_code == 404


def test_area_map_suppresses_small_counts(client_for) -> None:  # type: ignore[no-untyped-def]
    body = client_for("analyst").get("/api/v1/areas").json()
    events = {f["properties"]["oa_code"]: f["properties"]["events"] for f in body["features"]}
    assert events == {"E00000001": 12, "E00000002": 8}
    assert body["features"][0]["geometry"]["type"] == "Polygon"
    nothing = client_for("auditor").get("/api/v1/areas").json()
    assert all(f["properties"].get("events") is None for f in nothing["features"])


def test_area_profile_and_trends(client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for("analyst")
    profile = client.get("/api/v1/areas/E00000001").json()
    assert profile["area"]["lsoa_code"] == "E01000001"
    assert client.get("/api/v1/areas/E99999999").status_code == 404
    assert client.get("/areas/E00000001").status_code == 200
