from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest


def odahub(home: Path, *args: str, timeout: int = 900) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ODAHUB_HOME": str(home)}
    env.pop("ODAHUB_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "odahub.cli", *args], env=env, capture_output=True, text=True,
        timeout=timeout, check=False)


def test_init_creates_home_with_catalog_zones_and_keys(tmp_path: Path) -> None:
    home = tmp_path / "home"
    result = odahub(home, "init")
    assert result.returncode == 0, result.stderr
    assert (home / "catalog.db").exists()
    for zone in ("landing", "identified", "pseudonymised", "linked", "marts"):
        assert (home / "lake" / zone).is_dir(), zone
    ring = json.loads((home / "keys" / "keyring.json").read_text())
    assert "keys" in ring
    master = (home / "secrets" / "master.key")
    assert oct(master.stat().st_mode & 0o777) == "0o600"


def test_bad_engine_setting_is_a_clear_error_not_a_traceback(tmp_path: Path) -> None:
    env = {**os.environ, "ODAHUB_HOME": str(tmp_path), "ODAHUB_ENGINE": "oracle"}
    result = subprocess.run([sys.executable, "-m", "odahub.cli", "init"], env=env,
                            capture_output=True, text=True, check=False)
    assert result.returncode != 0
    assert "ODAHUB_ENGINE must be" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_command_is_a_usage_error_without_traceback(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "odahub.cli", "no-such-command"], cwd=tmp_path,
                            env={**os.environ, "ODAHUB_HOME": str(tmp_path)},
                            capture_output=True, text=True, check=False)
    assert result.returncode == 2, result.stderr
    assert "No such command" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "odahub-error.log").exists()


@pytest.mark.slow
def test_demo_runs_every_stage_end_to_end(tmp_path: Path) -> None:
    """The README's first command, minus serving: a fresh home, the whole pipeline, a summary."""
    home = tmp_path / "demo-home"
    result = odahub(home, "demo", "--persons", "1000", "--no-serve", "--json", timeout=1800)
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout)
    assert list(summary) == ["synth", "governance", "ingest", "privacy", "link", "analyse",
                             "benefits", "retention"]
    assert summary["ingest"]["failed"] == 0, summary["ingest"]
    assert summary["ingest"]["rows_read"] == (
        summary["ingest"]["rows_accepted"] + summary["ingest"]["rows_quarantined"])
    assert summary["link"]["pairwise_precision"] >= 0.95, summary["link"]
    assert summary["link"]["pairwise_recall"] >= 0.9, summary["link"]
    assert_demo_home_is_served(home, summary["governance"]["demo_password"])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def assert_demo_home_is_served(home: Path, password: str) -> None:
    """What `odahub demo` does after the pipeline: serve the web app where a demo user logs in."""
    port = free_port()
    env = {**os.environ, "ODAHUB_HOME": str(home)}
    server = subprocess.Popen([sys.executable, "-m", "odahub.cli", "serve", "--port", str(port)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            deadline = time.monotonic() + 120
            while True:
                try:
                    page = client.get("/login")
                    break
                except httpx.TransportError:
                    assert server.poll() is None, server.stderr.read() if server.stderr else ""
                    assert time.monotonic() < deadline, "the web app did not start"
                    time.sleep(0.5)
            assert page.status_code == 200
            answer = client.post("/login", data={
                "username": "practitioner", "password": password,
                "csrf_token": client.cookies["odahub_csrf"]}, follow_redirects=True)
            assert answer.status_code == 200, answer.text[:500]
            assert "Log out" in answer.text
    finally:
        server.terminate()
        server.wait(timeout=30)
