"""`odahub serve` / the end of `odahub demo`: uvicorn serving create_app(hub), demo logins."""

from __future__ import annotations

from typing import Any

import pytest
import uvicorn

from odahub.web import cli


def test_demo_prints_a_login_for_each_role(web_hub, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    served: dict[str, Any] = {}

    def fake_run(app: Any, host: str, port: int, log_level: str) -> None:
        served.update(app=app, host=host, port=port)

    monkeypatch.setattr(uvicorn, "run", fake_run)
    cli.serve_hub(web_hub, host="127.0.0.1", port=8123, demo=True)
    printed = capsys.readouterr().err
    assert "http://127.0.0.1:8123" in printed and "odahub-demo-pass" in printed
    for role in ("hub_admin", "data_owner", "analyst", "practitioner", "auditor"):
        assert role in printed, printed
    assert served["port"] == 8123 and served["app"].title == "odahub API"
