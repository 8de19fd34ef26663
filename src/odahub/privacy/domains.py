"""Linkage domains and their active tokenisation keys.

The key ring holds the (wrapped) keys; the catalog row `privacy_token_domains` says which one a
domain uses now. A rotation flips that row in the same transaction that publishes re-tokenised
versions, so readers see old tokens everywhere or new tokens everywhere, never a mix.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from sqlalchemy import select

from odahub.catalog.tables.privacy import TokenDomain
from odahub.hub import Hub
from odahub.privacy.keystore import KeyStore

DEFAULT_DOMAIN = "default"
DOMAIN_ENV = "ODAHUB_LINKAGE_DOMAIN"


def domain_from_env(env: Mapping[str, str] | None = None) -> str:
    """The linkage domain named by ODAHUB_LINKAGE_DOMAIN, else `default` (read at entry points)."""
    env = os.environ if env is None else env
    return env.get(DOMAIN_ENV, "").strip() or DEFAULT_DOMAIN


def purpose_of(domain: str) -> str:
    return f"domain:{domain}"


def key_store(hub: Hub) -> KeyStore:
    """The hub's key store (a KMS-backed provider would subclass KeyStore)."""
    keys = hub.keys
    return keys if isinstance(keys, KeyStore) else KeyStore.open(hub.settings)


def active_key(hub: Hub, domain: str) -> tuple[str, bytes]:
    """(key id, key) that new tokens of `domain` are made with; registers the domain once."""
    store = key_store(hub)
    with hub.catalog.session() as session:
        row = session.scalar(select(TokenDomain).where(TokenDomain.name == domain))
        if row is None:
            key_id, _key = store.domain_key(domain)
            session.add(TokenDomain(name=domain, active_key_id=key_id))
            return key_id, store.key_by_id(key_id)
        key_id = row.active_key_id
    # A rotation killed between its catalog commit and its ring write leaves the ring behind:
    # the catalog is the authority, so bring the ring into line.
    if store.active_id(purpose_of(domain)) != key_id:
        store.activate(key_id)
    return key_id, store.key_by_id(key_id)


def domains(hub: Hub) -> dict[str, str]:
    with hub.catalog.session() as session:
        return {row.name: row.active_key_id for row in session.scalars(select(TokenDomain))}
