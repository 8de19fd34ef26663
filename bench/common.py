"""What the benchmarks share: a hub in a scratch home, and how a report is printed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from odahub.config import Settings, default_database_url
from odahub.hub import Hub
from odahub.privacy.keystore import KeyStore


def open_hub(home: Path, create: bool = True) -> Hub:
    """A hub on HOME with its own key store (created, with its catalog, when `create`)."""
    settings = Settings(home=home, database_url=default_database_url(home))
    KeyStore.open(settings, create=create)
    hub = Hub(settings=settings, key_provider_factory=KeyStore.open)
    if create:
        hub.initialise()
    return hub


def print_report(report: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(report, indent=2, default=str))
        return
    for key, value in report.items():
        print(f"{key:22} {value}")
