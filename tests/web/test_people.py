"""Search and the person view, as policy allows (identified vs pseudonymised)."""

from __future__ import annotations

from datetime import date

from odahub.governance import audit


def test_fuzzy_name_search_finds_the_person(client_for) -> None:  # type: ignore[no-untyped-def]
    body = client_for("practitioner").get("/api/v1/search", params={"name": "Jon Smiht"}).json()
    assert body["level"] == "identified"
    names = {h["person_id"]: (h["first_name"], h["last_name"]) for h in body["hits"]}
    assert names.get("P-000001") == ("JOHN", "SMITH"), body
    assert "P-000004" not in names


def test_date_of_birth_postcode_and_nominal_id(client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for("practitioner")
    by_dob = client.get("/api/v1/search", params={"date_of_birth": "1975-11-30"}).json()
    assert [h["person_id"] for h in by_dob["hits"]] == ["P-000004"]
    by_postcode = client.get("/api/v1/search", params={"postcode": "co22bb"}).json()
    assert {h["person_id"] for h in by_postcode["hits"]} == {"P-000004", "P-000005"}
    by_id = client.get("/api/v1/search", params={"nominal_id": "p-000003"}).json()
    assert [h["person_id"] for h in by_id["hits"]] == ["P-000003"]


def test_analyst_sees_no_identifiers(client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for("analyst")
    body = client.get("/api/v1/search", params={"postcode": "CO1 1AA"}).json()
    assert body["level"] == "pseudonymised"
    assert {h["person_id"] for h in body["hits"]} == {"P-000001", "P-000002", "P-000003"}
    text = client.get("/api/v1/persons/P-000001").text
    assert "JOHN" not in text and "CO1 1AA" not in text and "9434765919" not in text
    assert client.get("/api/v1/search", params={"name": "Smith"}).json()["hits"] == []


def test_person_view_has_the_multi_agency_picture(client_for) -> None:  # type: ignore[no-untyped-def]
    body = client_for("practitioner").get("/api/v1/persons/P-000001").json()
    assert body["identity"]["last_name"] == "SMITH"
    assert len(body["records"]) == 4 and len(body["timeline"]) == 4
    assert {s["dataset"] for s in body["sources"]} == {
        "police_records", "county_council_records", "nhs_trust_records"}
    members = {m["person_id"] for h in body["households"] for m in h["members"]}
    assert members == {"P-000002", "P-000003"}
    (risk,) = body["risks"]
    assert risk["model"] == "da_escalation" and risk["explanation"][0]["factor"]
    assert body["agencies"], body


def test_views_are_audited_with_purpose(client_for, web_hub) -> None:  # type: ignore[no-untyped-def]
    client_for("officer").get("/persons/P-000005")
    entry = audit.entries(web_hub.catalog, actor="officer", action="person.view")[0]
    assert entry["outcome"] == "allowed" and entry["purpose"] == "early_help"
    assert entry["subjects"] == ["P-000005"]


def test_search_page_renders_results_and_htmx_partial(client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for("practitioner")
    page = client.get("/search", params={"name": "khan"})
    assert "P-000004" in page.text and "<main" in page.text
    partial = client.get("/search", params={"name": "khan"}, headers={"HX-Request": "true"})
    assert "P-000004" in partial.text and "<main" not in partial.text


def test_name_search_ranks_in_arrow_exactly_as_the_sql_does(app) -> None:  # type: ignore[no-untyped-def]
    """The fuzzy path ranks the records of similar surnames in Arrow; the SQL over the whole
    index is the reference (same people, scores, order and identity), narrowed columns too."""
    from odahub.governance.policy import Access
    from odahub.web.queries import search

    serving = app.state.serving
    index = serving.index.table("identified")
    surnames = serving.index.surnames(index)
    full = {d: Access(d, "identified", None, "A") for d in ("police_records",
                                                           "county_council_records",
                                                           "nhs_trust_records")}
    narrowed = {**full, "police_records": Access(
        "police_records", "identified", frozenset({"last_name", "event_date"}), "A")}
    queries = [search.SearchQuery(name=n, limit=limit, **extra)
               for n in ("Smith", "Jon Smiht", "Mary Smith", "Kahn", "Sara Jones", "Nobody")
               for limit in (1, 25)
               for extra in ({}, {"postcode": "co1 1aa"}, {"date_of_birth": date(1980, 3, 4)})]
    found = 0
    for readable in (full, narrowed):
        for query in queries:
            fast = search.name_search(serving, index, surnames, readable, query)
            _first, last = search.name_parts(query.name or "")
            similar = search.similar_surnames(serving, index, last)
            sql, params = search.identified_sql(serving, index, readable, query, similar)
            slow = serving.view.rows(sql, [*params, query.limit])
            for hit in slow:
                hit["score"], hit["datasets"] = float(hit["score"]), list(hit["datasets"])
            assert fast == slow, (query, readable is narrowed)
            found += len(fast)
    assert found > 20
