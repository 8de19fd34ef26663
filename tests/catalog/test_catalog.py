from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from odahub.catalog import Catalog, migrate
from odahub.catalog.base import Base
from odahub.catalog.tables.core import Dataset, DatasetVersion, Job, Partner


def test_migrations_create_every_table_and_match_the_models(database_url: str) -> None:
    migrate(database_url)
    catalog = Catalog(database_url)
    with catalog.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    catalog.dispose()
    assert diff == [], f"models and migrations disagree; add a migration: {diff}"


def test_migrate_is_idempotent(database_url: str) -> None:
    migrate(database_url)
    migrate(database_url)
    catalog = Catalog(database_url)
    assert catalog.is_initialised()
    catalog.dispose()


def test_partner_dataset_version_roundtrip(database_url: str) -> None:
    migrate(database_url)
    catalog = Catalog(database_url)
    with catalog.session() as session:
        police = Partner(code="police", name="County Police", kind="police")
        session.add(police)
        session.flush()
        feed = Dataset(name="police_incidents", partner_id=police.id, format="csv",
                       spec={"dataset": "police_incidents"})
        session.add(feed)
        session.flush()
        session.add(DatasetVersion(dataset_id=feed.id, zone="landing", name=feed.name,
                                   version=1, path="landing/x/v000001", rows_read=10,
                                   rows_accepted=9, rows_quarantined=1, details={"a": 1}))
        session.add(Job(kind="ingest", params={"dataset": feed.name}))
    with catalog.session() as session:
        version = session.scalars(select(DatasetVersion)).one()
        assert version.dataset is not None
        assert version.dataset.partner.code == "police"
        assert (version.rows_accepted + version.rows_quarantined) == version.rows_read
        assert version.details == {"a": 1}
        assert session.scalars(select(Job)).one().status == "queued"
    catalog.dispose()


def test_failed_unit_of_work_rolls_back(database_url: str) -> None:
    migrate(database_url)
    catalog = Catalog(database_url)
    try:
        with catalog.session() as session:
            session.add(Partner(code="fire", name="Fire and Rescue"))
            session.flush()
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    with catalog.session() as session:
        assert session.scalars(select(Partner)).all() == []
    catalog.dispose()
