"""Settings, read once at the entry point and passed down (never imported as a global)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from odahub.errors import ConfigError

EngineName = Literal["duckdb", "spark"]
ZONES = ("landing", "identified", "pseudonymised", "linked", "marts", "reference", "quarantine")


@dataclass(frozen=True)
class Settings:
    """Everything a command needs to know about where things are."""

    home: Path
    database_url: str
    engine: EngineName = "duckdb"
    master_key_file: Path | None = None
    master_key: str | None = None

    @property
    def lake(self) -> Path:
        return self.home / "lake"

    def zone(self, name: str) -> Path:
        if name not in ZONES:
            raise ConfigError(f"unknown lake zone {name!r}; zones are {', '.join(ZONES)}")
        return self.lake / name

    @property
    def keys_dir(self) -> Path:
        return self.home / "keys"

    @property
    def logs_dir(self) -> Path:
        return self.home / "logs"

    @property
    def resolved_master_key_file(self) -> Path:
        # The master key lives outside the lake and the catalog; a real deployment points this
        # at a mounted secret or replaces the key store with a KMS-backed one.
        return self.master_key_file or (self.home / "secrets" / "master.key")

    def with_home(self, home: Path) -> Settings:
        return replace(self, home=home, database_url=default_database_url(home))


def default_database_url(home: Path) -> str:
    return f"sqlite:///{(home / 'catalog.db').resolve()}"


def settings_from_env(env: Mapping[str, str] | None = None) -> Settings:
    """Build settings from ODAHUB_* variables; call once per process entry point."""
    env = os.environ if env is None else env
    home = Path(env.get("ODAHUB_HOME", "./.odahub")).expanduser().resolve()
    engine = env.get("ODAHUB_ENGINE", "duckdb").strip().lower()
    if engine not in ("duckdb", "spark"):
        raise ConfigError(f"ODAHUB_ENGINE must be 'duckdb' or 'spark', not {engine!r}")
    key_file = env.get("ODAHUB_MASTER_KEY_FILE")
    return Settings(
        home=home,
        database_url=env.get("ODAHUB_DATABASE_URL") or default_database_url(home),
        engine=engine,  # type: ignore[arg-type]
        master_key_file=Path(key_file).expanduser().resolve() if key_file else None,
        master_key=env.get("ODAHUB_MASTER_KEY") or None,
    )
