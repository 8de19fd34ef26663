"""Partners and feeds in the catalog: register a spec, find it again, list them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from odahub.catalog.tables.core import Dataset, Partner
from odahub.errors import NotFound
from odahub.hub import Hub
from odahub.ingest.spec import FeedSpec, spec_from_json


@dataclass(frozen=True)
class Feed:
    dataset_id: int
    spec: FeedSpec
    spec_version: int
    partner: str


def register_partner(hub: Hub, code: str, name: str | None = None, kind: str = "other") -> bool:
    """Create or update a partner; True if it was new."""
    with hub.catalog.session() as session:
        partner = session.scalar(select(Partner).where(Partner.code == code))
        if partner is None:
            session.add(Partner(code=code, name=name or code, kind=kind))
            return True
        if name:
            partner.name = name
        partner.kind = kind if kind != "other" else partner.kind
        return False


def add_feed(hub: Hub, spec: FeedSpec) -> tuple[Feed, str]:
    """Register or update a feed; returns it and 'added', 'updated' or 'unchanged'."""
    register_partner(hub, spec.partner)  # no-op when the partner is known
    stored = spec.to_json()
    with hub.catalog.session() as session:
        partner = session.scalar(select(Partner).where(Partner.code == spec.partner))
        assert partner is not None
        dataset = session.scalar(select(Dataset).where(Dataset.name == spec.dataset))
        if dataset is None:
            dataset = Dataset(name=spec.dataset, partner_id=partner.id, format=spec.format,
                              spec=stored, spec_version=1, description=spec.description,
                              retention_days=spec.retention_days)
            session.add(dataset)
            outcome = "added"
        elif dataset.spec != stored or dataset.partner_id != partner.id:
            dataset.spec, dataset.format = stored, spec.format
            dataset.partner_id, dataset.description = partner.id, spec.description
            dataset.retention_days = spec.retention_days
            dataset.spec_version += 1
            outcome = "updated"
        else:
            outcome = "unchanged"
        session.flush()
        return Feed(dataset.id, spec, dataset.spec_version, spec.partner), outcome


def get_feed(hub: Hub, name: str) -> Feed:
    with hub.catalog.session() as session:
        dataset = session.scalar(select(Dataset).where(Dataset.name == name))
        if dataset is None:
            raise NotFound(f"no feed named {name!r}; register it with `odahub feed add SPEC.yaml`")
        return Feed(dataset.id, spec_from_json(dataset.spec), dataset.spec_version,
                    dataset.partner.code)


def list_feeds(hub: Hub) -> list[dict[str, Any]]:
    with hub.catalog.session() as session:
        rows = session.scalars(select(Dataset).order_by(Dataset.name)).all()
        return [{"dataset": d.name, "partner": d.partner.code, "format": d.format,
                 "spec_version": d.spec_version,
                 "versions": sum(v.zone == "identified" for v in d.versions),
                 "description": d.description} for d in rows]
