"""The README's page over the synthetic county after a full pipeline run (not the toy hub):
a person as the demo practitioner sees them, accessible, photographed with the artifacts."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from odahub.hub import Hub
from tests.conftest import make_hub
from tests.e2e.conftest import check_accessibility
from tests.e2e.readme_screenshot import featured_person, open_person
from tests.e2e.serving import serving

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture
def county_hub(pipeline_hub: Hub, tmp_path: Path) -> Iterator[Hub]:
    """The piped county's home, copied: logging in writes sessions and audit entries."""
    home = tmp_path / "home"
    shutil.copytree(pipeline_hub.settings.home, home)
    hub = make_hub(home)
    yield hub
    hub.close()


def test_person_view_over_the_synthetic_county(browser: Any, county_hub: Hub) -> None:
    person_id, _model = featured_person(county_hub)
    with serving(county_hub) as url:
        page = open_person(browser, url, county_hub)
        heading = page.get_by_role("heading", level=1).inner_text()
        assert heading != f"Person {person_id}" and heading.isupper()  # identified, by name
        assert "records from" in page.locator("main").inner_text()
        check_accessibility(page, "readme-person")
        page.context.close()
