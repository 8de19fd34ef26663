"""Each role walks its main journey in headless Chromium; every page passes axe-core."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import check_accessibility, choose_purpose
from tests.web.small_hub import UPLOAD_CSV

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_practitioner_search_person_risk(page_for) -> None:  # type: ignore[no-untyped-def]
    page = page_for("practitioner")
    check_accessibility(page, "home")
    page.get_by_role("link", name="Search", exact=True).first.click()
    check_accessibility(page, "purpose")
    choose_purpose(page, "practitioner")
    page.get_by_label("Name").fill("Jon Smith")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="P-000001").wait_for()
    check_accessibility(page, "search")
    page.get_by_role("link", name="P-000001").click()
    page.get_by_role("heading", name="JOHN SMITH").wait_for()
    page.locator("#risk-da_escalation summary").click()
    page.get_by_text("domestic abuse incidents in 12 months").wait_for()
    check_accessibility(page, "person")


def test_officer_reviews_a_risk_list_row(page_for) -> None:  # type: ignore[no-untyped-def]
    page = page_for("officer")
    page.goto("/risk")
    choose_purpose(page, "officer")
    check_accessibility(page, "risk-index")
    page.get_by_role("link", name="Da escalation").click()
    check_accessibility(page, "risk-list")
    page.get_by_label("Decision").nth(1).select_option("override_lower")
    page.get_by_label("Reason").nth(1).fill("family already supported by early help")
    page.get_by_role("button", name="Record").nth(1).click()
    page.get_by_text("Recorded: override_lower").wait_for()
    check_accessibility(page, "risk-reviewed")


def test_analyst_area_map_drill_down(page_for) -> None:  # type: ignore[no-untyped-def]
    page = page_for("analyst")
    page.goto("/areas")
    choose_purpose(page, "analyst")
    page.locator("#map path.leaflet-interactive").first.wait_for()
    page.locator("#trend svg").first.wait_for()
    check_accessibility(page, "areas")
    page.locator("#map path.leaflet-interactive").first.click()
    page.wait_for_url("**/areas/E0000000*")
    page.get_by_role("heading", name="Output area").wait_for()
    check_accessibility(page, "area-profile")


def test_data_owner_uploads_and_sees_quality(page_for, tmp_path) -> None:  # type: ignore[no-untyped-def]
    page = page_for("dpo_police")
    page.goto("/catalog")
    check_accessibility(page, "catalog")
    page.get_by_role("link", name="police_uploads").click()
    delivery = tmp_path / "incidents.csv"
    delivery.write_bytes(UPLOAD_CSV.replace(b"I1,", b"I9,"))
    page.get_by_label("File").set_input_files(str(delivery))
    page.get_by_role("button", name="Upload and ingest").click()
    page.get_by_text("Status:").wait_for()
    check_accessibility(page, "job")
    page.get_by_role("link", name="See the new version and its quality report").click()
    page.get_by_role("heading", name="Quality report, version 1").wait_for()
    check_accessibility(page, "dataset-quality")


def test_governance_screens(page_for) -> None:  # type: ignore[no-untyped-def]
    page = page_for("auditor")
    page.goto("/governance")
    check_accessibility(page, "governance")
    page.get_by_role("link", name="Audit log").click()
    page.get_by_text("intact").first.wait_for()
    check_accessibility(page, "audit")
    page.goto("/governance/users")
    check_accessibility(page, "users")
    page.goto("/benefits")
    check_accessibility(page, "benefits")
    page.goto("/linkage")
    choose_purpose(page, "auditor")
    check_accessibility(page, "linkage")
    owner = page_for("dpo_police")
    owner.goto("/governance/usage")
    check_accessibility(owner, "usage")


def test_tablet_width_has_no_sideways_scroll(page_for) -> None:  # type: ignore[no-untyped-def]
    page = page_for("practitioner", width=768, height=1024)
    page.goto("/search?name=smith")
    choose_purpose(page, "practitioner")
    page.goto("/persons/P-000002")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, overflow
    check_accessibility(page, "person-tablet")


def test_keyboard_skip_link(page_for) -> None:  # type: ignore[no-untyped-def]
    page = page_for("practitioner")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_reidentification_request_approval_reveal(page_for) -> None:  # type: ignore[no-untyped-def]
    analyst = page_for("analyst")
    analyst.goto("/persons/P-000005")
    choose_purpose(analyst, "analyst")
    analyst.get_by_role("heading", name="Person P-000005").wait_for()
    check_accessibility(analyst, "person-pseudonymised")
    analyst.get_by_label("Owning partner").select_option("police")
    analyst.get_by_label("Justification").fill("MARAC meeting tomorrow")
    analyst.get_by_label("DPIA reference").fill("DPIA-EARLY-HELP-001")
    analyst.get_by_role("button", name="Send request").click()
    analyst.get_by_text("pending").first.wait_for()
    check_accessibility(analyst, "reid-requests")
    owner = page_for("dpo_police")
    owner.goto("/reid")
    owner.get_by_role("button", name="Approve").first.click()
    owner.get_by_text("approved").first.wait_for()
    check_accessibility(owner, "reid-approved")
    analyst.goto("/reid")
    analyst.get_by_role("link", name="Reveal").first.click()
    analyst.get_by_text("JONES").first.wait_for()
    check_accessibility(analyst, "reid-reveal")
