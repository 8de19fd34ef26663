"""Docs are tested: the CLI reference is generated and current; every setting is documented."""

from __future__ import annotations

import re
from pathlib import Path

from odahub import cli_docs

ROOT = Path(__file__).resolve().parent.parent


def test_cli_reference_is_current() -> None:
    documented = (ROOT / "docs" / "user" / "cli.md").read_text()
    assert documented == cli_docs.render(), (
        "docs/user/cli.md is stale: run `python -m odahub.cli_docs > docs/user/cli.md`")


def test_every_command_is_in_the_reference() -> None:
    documented = (ROOT / "docs" / "user" / "cli.md").read_text()
    missing = [path for path in cli_docs.command_paths() if f"## `{path}`" not in documented]
    assert not missing, missing


def test_every_setting_is_documented() -> None:
    source = "\n".join(p.read_text() for p in (ROOT / "src" / "odahub").rglob("*.py"))
    settings = set(re.findall(r"\"(ODAHUB_[A-Z_]+)\"", source)) - {"ODAHUB_TEST_POSTGRES_URL"}
    docs = (ROOT / "README.md").read_text() + "".join(
        p.read_text() for p in (ROOT / "docs").rglob("*.md"))
    missing = sorted(s for s in settings if s not in docs)
    assert not missing, f"settings used in code but not documented: {missing}"


def test_readme_starts_with_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    first_blocks = re.findall(r"```bash\n(.*?)\n```", readme, re.S)[:2]
    assert first_blocks == ["scripts/demo", "scripts/test"], first_blocks
    ci = (ROOT / ".ci" / "run").read_text()
    assert "exec scripts/test" in ci, "CI must run exactly the README's test command"
