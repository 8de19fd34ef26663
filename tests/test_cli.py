from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

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
                             "benefits"]
