"""Shared fixtures: catalog URLs for SQLite and PostgreSQL, a hub in a temporary home."""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from odahub.config import Settings, default_database_url
from odahub.hub import Hub
from odahub.privacy.keystore import KeyStore

POSTGRES_ADMIN_URL = os.environ.get(
    "ODAHUB_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def postgres_available() -> bool:
    try:
        engine = create_engine(POSTGRES_ADMIN_URL)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


_POSTGRES = postgres_available()
if not _POSTGRES:
    warnings.warn(
        f"\n\n*** PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: "
        "catalog tests on PostgreSQL are SKIPPED ***\n", stacklevel=1)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    if not _POSTGRES:
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL} (LOUD SKIP)")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    yield f"{POSTGRES_ADMIN_URL}?options=-csearch_path%3D{schema}"
    with admin.connect() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every catalog test runs twice: on SQLite and on the machine's PostgreSQL."""
    if request.param == "sqlite":
        return default_database_url(tmp_path / "home")
    url: str = request.getfixturevalue("postgres_url")
    return url


def make_hub(home: Path, database_url: str | None = None) -> Hub:
    settings = Settings(home=home, database_url=database_url or default_database_url(home))
    KeyStore.open(settings, create=True)
    hub = Hub(settings=settings, key_provider_factory=KeyStore.open)
    hub.initialise()
    return hub


@pytest.fixture
def hub(tmp_path: Path, database_url: str) -> Iterator[Hub]:
    """An initialised hub (catalog on SQLite and PostgreSQL) in a temporary home."""
    made = make_hub(tmp_path / "home", database_url)
    yield made
    made.close()


@pytest.fixture
def sqlite_hub(tmp_path: Path) -> Iterator[Hub]:
    """An initialised hub on SQLite only, for tests where the catalog backend is incidental."""
    made = make_hub(tmp_path / "home")
    yield made
    made.close()


COUNTY_PERSONS = 1500
COUNTY_SEED = 7


@pytest.fixture(scope="session")
def county(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One small synthetic county per test session (per xdist worker), with its truth."""
    from odahub.synth import generate_county

    out = tmp_path_factory.mktemp("county")
    generate_county(out, persons=COUNTY_PERSONS, seed=COUNTY_SEED)
    return out


@pytest.fixture(scope="session")
def pipeline_hub(tmp_path_factory: pytest.TempPathFactory, county: Path) -> Iterator[Hub]:
    """A hub on which the whole pipeline has run over the session's county (read-only for tests)."""
    import shutil

    from odahub.pipeline import PipelineState, run_pipeline

    home = tmp_path_factory.mktemp("pipeline") / "home"
    hub = make_hub(home)
    synth_dir = home / "synth"
    shutil.copytree(county, synth_dir)
    run_pipeline(hub, PipelineState(synth_dir=synth_dir, persons=COUNTY_PERSONS, seed=COUNTY_SEED))
    yield hub
    hub.close()
