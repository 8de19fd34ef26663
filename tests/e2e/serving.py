"""Serve a hub's web app from a background thread, and log a demo user in with Chromium."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn

from odahub.governance.demo import DEMO_PASSWORD
from odahub.hub import Hub
from odahub.web.app import create_app

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
ROOT = Path(__file__).parents[2]
PURPOSES = {"analyst": "analytics", "admin": "analytics", "auditor": "analytics"}


def artifacts() -> Path:
    """Where browser tests leave their screenshots: $ODAHUB_E2E_ARTIFACTS or build/e2e, never
    a committed file (the README image is made on purpose by tests/e2e/readme_screenshot.py)."""
    folder = Path(os.environ.get("ODAHUB_E2E_ARTIFACTS", ROOT / "build" / "e2e")) / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(hub: Hub) -> Iterator[str]:
    """The app on a free local port for the duration of the block; yields its base URL."""
    port = free_port()
    config = uvicorn.Config(create_app(hub), host="127.0.0.1", port=port,
                            log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True, name="e2e-uvicorn")
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def log_in(browser: Any, base_url: str, username: str, width: int = 1280,
           height: int = 800) -> Any:
    """A fresh browser context logged in as a demo user; returns its page."""
    # bypass_csp lets the tests inject axe-core; the app itself allows no inline script.
    context = browser.new_context(base_url=base_url, bypass_csp=True,
                                  viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    return page


def choose_purpose(page: Any, username: str) -> None:
    page.get_by_label("Purpose").select_option(PURPOSES.get(username, "early_help"))
    page.get_by_label("Justification").fill("browser test, referral 1234")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()
