"""Browser tests: the app served by uvicorn in a background thread, driven by Debian's
Chromium through Playwright (never a downloaded browser). Screenshots of every page go to the
artifacts folder (build/e2e/screenshots, or $ODAHUB_E2E_ARTIFACTS/screenshots)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from odahub.hub import Hub
from tests.e2e.serving import ARGS, CHROMIUM, artifacts, choose_purpose, log_in, serving
from tests.web.small_hub import small_hub

HERE = Path(__file__).parent
AXE = HERE / "vendor" / "axe-core" / "axe.min.js"
__all__ = ["check_accessibility", "choose_purpose"]


@pytest.fixture(scope="session")
def e2e_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    hub = small_hub(tmp_path_factory.mktemp("e2e") / "home")
    yield hub
    hub.close()


@pytest.fixture(scope="session")
def base_url(e2e_hub: Hub) -> Iterator[str]:
    with serving(e2e_hub) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Debian chromium not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page_for(browser: Any, base_url: str) -> Iterator[Callable[..., Any]]:
    pages: list[Any] = []

    def make(username: str, width: int = 1280, height: int = 800) -> Any:
        pages.append(log_in(browser, base_url, username, width, height))
        return pages[-1]

    yield make
    for page in pages:
        page.context.close()


def check_accessibility(page: Any, name: str) -> None:
    """axe-core on the page: no serious or critical WCAG 2.x A/AA violations; screenshot."""
    page.screenshot(path=str(artifacts() / f"{name}.png"), full_page=True)
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}})")
    bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
           for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, f"{name}: {bad}"
