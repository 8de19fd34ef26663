"""Browser tests: the app served by uvicorn in a background thread, driven by Debian's
Chromium through Playwright (never a downloaded browser)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from odahub.governance.demo import DEMO_PASSWORD
from odahub.hub import Hub
from odahub.web.app import create_app
from tests.web.small_hub import small_hub

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
HERE = Path(__file__).parent
SCREENSHOTS = HERE / "screenshots"
AXE = HERE / "vendor" / "axe-core" / "axe.min.js"
PURPOSES = {"analyst": "analytics", "admin": "analytics", "auditor": "analytics"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def e2e_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    hub = small_hub(tmp_path_factory.mktemp("e2e") / "home")
    yield hub
    hub.close()


@pytest.fixture(scope="session")
def base_url(e2e_hub: Hub) -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(create_app(e2e_hub), host="127.0.0.1", port=port,
                            log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True, name="e2e-uvicorn")
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


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
    contexts: list[Any] = []

    def make(username: str, width: int = 1280, height: int = 800) -> Any:
        # bypass_csp lets the test inject axe-core; the app itself allows no inline script.
        context = browser.new_context(base_url=base_url, bypass_csp=True,
                                      viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        page.goto("/login")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state()
        return page

    yield make
    for context in contexts:
        context.close()


def choose_purpose(page: Any, username: str) -> None:
    page.get_by_label("Purpose").select_option(PURPOSES.get(username, "early_help"))
    page.get_by_label("Justification").fill("browser test, referral 1234")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()


def check_accessibility(page: Any, name: str) -> None:
    """axe-core on the page: no serious or critical WCAG 2.x A/AA violations; screenshot."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}})")
    bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
           for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, f"{name}: {bad}"
