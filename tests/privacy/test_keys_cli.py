from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from odahub.cli import app
from odahub.config import Settings, default_database_url
from odahub.governance import users
from odahub.hub import Hub
from odahub.privacy.keystore import KeyStore
from tests.privacy.sample import write_identified
from tests.privacy.test_reid import setup_hub as setup_reid


def invoke(*args: str) -> dict[str, object] | list[object]:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout) if "--json" in args else {}


def cli_hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Hub:
    home = tmp_path / "home"
    monkeypatch.setenv("ODAHUB_HOME", str(home))
    monkeypatch.delenv("ODAHUB_DATABASE_URL", raising=False)
    monkeypatch.delenv("ODAHUB_MASTER_KEY", raising=False)
    invoke("init")
    settings = Settings(home=home, database_url=default_database_url(home))
    return Hub(settings=settings, key_provider_factory=KeyStore.open)


@pytest.mark.slow
def test_keys_list_rotate_and_pseudonymise_from_the_cli(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hub = cli_hub(tmp_path, monkeypatch)
    write_identified(hub)
    done = invoke("pseudonymise", "--json")
    assert isinstance(done, dict) and done["pseudonymised"] == 1 and done["tokens"] > 0
    rotated = invoke("keys", "rotate", "--json")
    assert isinstance(rotated, dict) and rotated["tables"] == 1
    keys = invoke("keys", "list", "--json")
    assert isinstance(keys, list)
    domain = {k["id"]: k for k in keys if k["purpose"] == "domain:default"}  # type: ignore[index]
    assert {k["status"] for k in domain.values()} == {"active", "retired"}
    assert all(set(k) == {"id", "purpose", "status", "created_at", "in_use"} for k in keys)
    hub.close()


def test_key_ring_holds_only_wrapped_keys_and_needs_the_master_key(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, database_url=default_database_url(tmp_path))
    store = KeyStore.open(settings, create=True)
    key_id, key = store.domain_key("default")
    ring = store.path.read_bytes()
    assert key not in ring and base64.b64encode(key) not in ring and key.hex().encode() not in ring
    other = Settings(home=tmp_path, database_url=settings.database_url,
                     master_key=base64.b64encode(b"x" * 32).decode())
    from odahub.errors import IntegrityError

    with pytest.raises(IntegrityError):
        KeyStore.open(other).key_by_id(key_id)
    pending = store.create("domain:default", activate=False)
    assert store.active_id("domain:default") == key_id
    store.activate(pending)
    assert store.active_id("domain:default") == pending


@pytest.mark.slow
def test_reid_request_approve_reveal_from_the_cli(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hub = cli_hub(tmp_path, monkeypatch)
    setup_reid(hub)
    users.create(hub.catalog, "ana", partner="council", roles=["analyst"])
    users.create(hub.catalog, "olga", partner="council", roles=["data_owner"])
    filed = invoke("reid", "request", "--user", "ana", "--subject", "P-1", "--purpose",
                   "early_help", "--justification", "visit today", "--dpia", "DPIA-7",
                   "--partner", "council", "--json")
    assert isinstance(filed, dict) and filed["status"] == "pending"
    refused = CliRunner().invoke(app, ["reid", "reveal", str(filed["id"]), "--user", "ana"])
    assert refused.exit_code != 0
    invoke("reid", "approve", str(filed["id"]), "--user", "olga", "--days", "2")
    rows = invoke("reid", "reveal", str(filed["id"]), "--user", "ana", "--json")
    assert isinstance(rows, list) and {r["record_id"] for r in rows} == {"R1", "R3"}  # type: ignore[index]
    listed = invoke("reid", "list", "--user", "olga", "--json")
    assert isinstance(listed, list) and listed[0]["status"] == "approved"  # type: ignore[index]
    hub.close()
