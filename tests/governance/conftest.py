"""Governance fixtures: a hub whose catalog is attached to its audit trail."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from odahub.catalog.base import utcnow
from odahub.governance import attach, users
from odahub.hub import Hub

PASSWORD = "a-long-and-unusual-passphrase"


@pytest.fixture
def gov_hub(hub: Hub) -> Iterator[Hub]:
    attach(hub)
    with hub.catalog.session() as session:
        for code in ("police", "council", "nhs"):
            users.ensure_partner(session, code)
    yield hub


def today() -> date:
    return utcnow().date()


def add_user(hub: Hub, username: str, *, partner: str = "council", roles: tuple[str, ...] = (
        "practitioner",), trained: bool = True, nominated: bool = True,
             password: str | None = None) -> users.User:
    completed = today() - timedelta(days=30 if trained else 400)
    return users.create(hub.catalog, username, partner=partner, roles=roles, password=password,
                        nominated=nominated, training_completed=completed,
                        training_expires=completed + timedelta(days=365))
