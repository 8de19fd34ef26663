"""The hub handle built once at an entry point (CLI command, web app) and passed down."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from odahub.catalog import Catalog, migrate
from odahub.config import Settings
from odahub.engine import Engine, open_engine
from odahub.engine.memory import configure as configure_arrow_memory
from odahub.governance.trail import configure as configure_audit_trail
from odahub.lake import KeyProvider, Lake

if TYPE_CHECKING:
    from collections.abc import Callable


@dataclass
class Hub:
    """Settings plus lazily opened catalog, engine and lake.

    The key provider is injected (privacy's key store, or a KMS-backed one) so that foundation
    code never imports a stage.
    """

    settings: Settings
    key_provider_factory: Callable[[Settings], KeyProvider] | None = field(default=None)

    def __post_init__(self) -> None:
        configure_arrow_memory()  # before the hub's first table (ADR 0089)

    @cached_property
    def catalog(self) -> Catalog:
        catalog = Catalog(self.settings.database_url)
        # Bind the audit trail (key and checkpoints outside the catalog) to this catalog once.
        configure_audit_trail(catalog, self.settings)
        return catalog

    @cached_property
    def keys(self) -> KeyProvider | None:
        factory = self.key_provider_factory
        return factory(self.settings) if factory is not None else None

    @cached_property
    def lake(self) -> Lake:
        return Lake(self.settings, self.catalog, self.keys)

    @cached_property
    def engine(self) -> Engine:
        return open_engine(self.settings)

    def initialise(self) -> None:
        """Create the home: catalog schema, lake zones, folders (idempotent)."""
        for folder in (self.settings.home, self.settings.keys_dir, self.settings.logs_dir):
            folder.mkdir(parents=True, exist_ok=True)
        migrate(self.settings.database_url)
        self.lake.create_zones()

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.close()
        if "catalog" in self.__dict__:
            self.catalog.dispose()
