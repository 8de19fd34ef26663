"""Portfolios in the catalog: store a parsed portfolio (replacing one of the same name), read it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from odahub.benefits.portfolio import BidSpec, Change, PortfolioSpec, SpendLine
from odahub.catalog.tables.benefits import Bid, BidSpend, Reserve, ReserveChange
from odahub.errors import NotFound
from odahub.hub import Hub


def store_portfolio(hub: Hub, spec: PortfolioSpec) -> int:
    """Write the reserve, its bids, spend lines and changes; returns the reserve id."""
    with hub.catalog.session() as session:
        old = session.scalar(select(Reserve).where(Reserve.name == spec.name))
        if old is not None:
            session.delete(old)
            session.flush()
        reserve = Reserve(name=spec.name, amount=spec.amount, description=spec.description,
                          report_date=spec.report_date,
                          details={"plan_priorities": {str(k): v for k, v in
                                                       spec.plan_priorities.items()},
                                   "criteria": spec.criteria})
        reserve.bids = [_bid_row(bid) for bid in spec.bids]
        reserve.changes = [ReserveChange(position=n, bid_reference=c.bid, kind=c.kind,
                                         amount=c.amount, description=c.description,
                                         status=c.status)
                           for n, c in enumerate(spec.changes)]
        session.add(reserve)
        session.flush()
        return reserve.id


def _bid_row(bid: BidSpec) -> Bid:
    return Bid(reference=bid.reference, title=bid.title, lead=bid.lead,
               approval_body=bid.approval_body, approval_date=bid.approval_date,
               status=bid.status, criteria_scores=bid.scores, priorities=bid.priorities,
               benefits_update=bid.benefits_update,
               spend=[BidSpend(financial_year=s.financial_year, kind=s.kind, amount=s.amount)
                      for s in bid.spend])


def reserves(hub: Hub) -> list[str]:
    with hub.catalog.session() as session:
        return list(session.scalars(select(Reserve.name).order_by(Reserve.name)))


def read_portfolio(hub: Hub, name: str | None = None) -> PortfolioSpec:
    with hub.catalog.session() as session:
        query = select(Reserve).options(
            selectinload(Reserve.bids).selectinload(Bid.spend), selectinload(Reserve.changes))
        if name is not None:
            query = query.where(Reserve.name == name)
        reserve = session.scalars(query.order_by(Reserve.id)).first()
        if reserve is None:
            raise NotFound(f"no portfolio {name!r}" if name else "no portfolio loaded yet "
                           "(odahub portfolio load [FILE])")
        details = reserve.details or {}
        return PortfolioSpec(
            name=reserve.name, amount=reserve.amount, report_date=reserve.report_date,
            description=reserve.description,
            plan_priorities={int(k): v for k, v in details.get("plan_priorities", {}).items()},
            criteria=list(details.get("criteria", [])),
            bids=[BidSpec(reference=b.reference, title=b.title, lead=b.lead,
                          approval_body=b.approval_body, approval_date=b.approval_date,
                          status=b.status, priorities=list(b.priorities),
                          scores=dict(b.criteria_scores), benefits_update=dict(b.benefits_update),
                          spend=[SpendLine(s.financial_year, s.kind, s.amount) for s in b.spend])
                  for b in reserve.bids],
            changes=[Change(bid=c.bid_reference, kind=c.kind, amount=c.amount,
                            description=c.description, status=c.status)
                     for c in reserve.changes])
