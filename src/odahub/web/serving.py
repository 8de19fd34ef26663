"""What every request handler is given: the hub and the cached lake view, built once per app."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from odahub.governance.policy import PolicyCache
from odahub.hub import Hub
from odahub.model import CanonicalModel, load_model
from odahub.web.auth import CallerCache
from odahub.web.index import RecordIndex
from odahub.web.lakeview import LakeView

T = TypeVar("T")
# Catalog metadata (feeds, versions, table lists) is re-read at most this often per process.
METADATA_SECONDS = 2.0


@dataclass
class WebSettings:
    """Web-only settings, decided in create_app and passed down."""

    secret: bytes
    cookie_secure: bool | None = None  # None: secure exactly when the request came over https
    # How long a verified session/token and a user's policy inputs are reused in this process
    # (ADR 0072, 0074); a governance change audited by this process takes effect at once.
    caller_trust_seconds: float = 5.0
    upload_limit_bytes: int = 200 * 1024 * 1024


@dataclass
class Serving:
    """The hub plus the serving caches; one per app."""

    hub: Hub
    settings: WebSettings
    view: LakeView
    index: RecordIndex
    callers: CallerCache = field(default_factory=CallerCache)
    policy: PolicyCache = field(default_factory=PolicyCache)
    model: CanonicalModel = field(default_factory=load_model)
    _metadata: dict[str, tuple[float, Any]] = field(default_factory=dict)

    def metadata(self, key: str, read: Callable[[], T]) -> T:
        """Catalog metadata (never partner rows or policy), re-read every few seconds."""
        found = self._metadata.get(key)
        if found is not None and time.monotonic() - found[0] < METADATA_SECONDS:
            value: T = found[1]
            return value
        value = read()
        self._metadata[key] = (time.monotonic(), value)
        return value


def load_or_create_secret(home: Path) -> bytes:
    """The key that signs cookies: kept in the home's secrets folder, made on first start."""
    path = home / "secrets" / "web.key"
    if path.exists():
        return bytes.fromhex(path.read_text().strip())
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_bytes(32)
    path.write_text(secret.hex())
    path.chmod(0o600)
    return secret


def build_serving(hub: Hub, settings: WebSettings | None = None) -> Serving:
    web_settings = settings or WebSettings(secret=load_or_create_secret(hub.settings.home))
    view = LakeView(hub.lake)
    return Serving(hub=hub, settings=web_settings, view=view, index=RecordIndex(view),
                   callers=CallerCache(ttl=web_settings.caller_trust_seconds),
                   policy=PolicyCache(ttl=web_settings.caller_trust_seconds))
