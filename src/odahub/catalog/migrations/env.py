"""Alembic environment: runs against the URL the caller put in the config."""

from __future__ import annotations

from alembic import context
from sqlalchemy import pool

from odahub.catalog.base import Base
from odahub.catalog.db import make_engine

target_metadata = Base.metadata


def run_migrations() -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    assert url
    connectable = make_engine(url)
    if not url.startswith("sqlite"):
        connectable = connectable.execution_options(poolclass=pool.NullPool)
    with connectable.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=url.startswith("sqlite"),
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    connectable.dispose()


run_migrations()
