"""Catalog, uploads with a job, governance screens."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.small_hub import UPLOAD_CSV


def test_catalog_lists_feeds(client_for) -> None:  # type: ignore[no-untyped-def]
    body = client_for("analyst").get("/api/v1/datasets").json()
    assert {d["name"] for d in body} == {"police_records", "county_council_records",
                                          "nhs_trust_records", "police_uploads"}


def test_only_owners_may_upload(client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for("practitioner")
    csrf = client.cookies.get("odahub_csrf")
    response = client.post("/api/v1/datasets/police_records/uploads",
                           headers={"X-CSRF-Token": csrf},
                           files={"file": ("d.csv", b"a,b\n1,2\n", "text/csv")})
    assert response.status_code == 404


def test_upload_creates_a_job_that_finishes(client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for("dpo_police")
    csrf = client.cookies.get("odahub_csrf")
    response = client.post("/catalog/police_uploads/upload", data={"csrf_token": csrf},
                           files={"file": ("delivery.csv", UPLOAD_CSV, "text/csv")})
    assert response.status_code == 303
    job_url = response.headers["location"]
    job_id = int(job_url.rsplit("/", 1)[1])
    for _ in range(200):
        job = client.get(f"/api/v1/jobs/{job_id}").json()
        if job["status"] not in ("queued", "running"):
            break
        import time

        time.sleep(0.05)
    assert job["status"] == "done", job
    assert job["result"]["rows_accepted"] == 1 and job["result"]["rows_quarantined"] == 1
    page = client.get("/catalog/police_uploads")
    assert "Quality" in page.text and "dob" in page.text, page.text
    quarantined = client.get("/api/v1/datasets/police_uploads/quarantine").json()
    assert [q["column"] for q in quarantined] == ["dob"], quarantined
    assert client_for("analyst").get("/api/v1/datasets/police_uploads/quarantine").status_code \
        == 404
    assert client.get(job_url, headers={"HX-Request": "true"}).status_code == 200
    assert client_for("analyst").get(f"/api/v1/jobs/{job_id}").status_code == 404


def test_governance_by_role(client_for) -> None:  # type: ignore[no-untyped-def]
    assert client_for("practitioner").get("/api/v1/governance/agreements").json()
    assert client_for("practitioner").get("/api/v1/governance/audit").status_code == 404
    chain = client_for("auditor").get("/api/v1/governance/audit/verify").json()
    assert chain["ok"] is True, chain
    police_users = client_for("dpo_police").get("/api/v1/governance/users").json()
    assert {u["partner"] for u in police_users} == {"police"}


def test_who_viewed_my_data(client_for) -> None:  # type: ignore[no-untyped-def]
    client_for("practitioner").get("/persons/P-000004")
    viewed = client_for("dpo_police").get("/api/v1/governance/who-viewed").json()
    assert any(v["actor"] == "practitioner" and "police_records" in v["datasets"]
               for v in viewed), viewed
    page = client_for("dpo_police").get("/governance/usage")
    assert "Who viewed my data" in page.text


def test_static_assets_are_served_locally(anonymous: TestClient) -> None:
    for path in ("/static/vendor/htmx.org/htmx.min.js", "/static/vendor/leaflet/leaflet.js",
                 "/static/vendor/vega-lite/vega-lite.min.js", "/static/app.css"):
        assert anonymous.get(path).status_code == 200, path
    assert "cdn" not in anonymous.get("/login").text.lower()


def test_reidentification_request_approval_reveal(client_for) -> None:  # type: ignore[no-untyped-def]
    analyst = client_for("analyst")
    csrf = analyst.cookies.get("odahub_csrf")
    filed = analyst.post("/api/v1/reid", headers={"X-CSRF-Token": csrf}, json={
        "subjects": ["P-000004"], "owning_partner": "police",
        "justification": "strategy meeting", "dpia_ref": "DPIA-1"})
    assert filed.status_code == 201, filed.text
    request_id = filed.json()["id"]
    assert analyst.get(f"/api/v1/reid/{request_id}/reveal").status_code == 404
    wrong_owner = client_for("dpo_county_council")
    refused = wrong_owner.post(f"/api/v1/reid/{request_id}/decision", json={"approve": True},
                               headers={"X-CSRF-Token": wrong_owner.cookies.get("odahub_csrf")})
    assert refused.status_code == 404
    owner = client_for("dpo_police")
    approved = owner.post(f"/reid/{request_id}/decision", data={
        "decision": "approve", "csrf_token": owner.cookies.get("odahub_csrf")})
    assert approved.status_code == 303
    rows = analyst.get(f"/api/v1/reid/{request_id}/reveal").json()
    assert {r["last_name"] for r in rows} == {"KHAN"}
    assert {r["dataset"] for r in rows} == {"police_records"}
    assert "KHAN" in analyst.get(f"/reid/{request_id}/reveal").text


def test_benefits_page_renders_with_or_without_a_portfolio(client_for) -> None:  # type: ignore[no-untyped-def]
    page = client_for("admin").get("/benefits")
    assert page.status_code == 200 and "Portfolio" in page.text
