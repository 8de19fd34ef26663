"""Clerical review: uncertain pairs queue up; decisions become forced links or non-links.

The web app and the CLI call these functions. Records are named `dataset:record_id`.
accept → the pair is always linked; reject → never linked (even through other records);
withdraw → the decision is undone and the model decides again. Undoing a merge is rejecting
pairs across the merged parts (see `undo_merge`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import insert, select

from odahub.catalog import Catalog
from odahub.catalog.base import utcnow
from odahub.catalog.tables.link import LinkReview
from odahub.errors import NotFound, SpecError

# Queued pairs are looked up by first record in chunks (bound parameters per query) when a
# run queues few pairs; past this many first records one read of the whole queue is cheaper.
LOOKUP_LIMIT = 20_000
LOOKUP_CHUNK = 500

DECISIONS = {"accept": "accepted", "reject": "rejected", "withdraw": "withdrawn"}


@dataclass(frozen=True)
class ReviewItem:
    id: int
    record_a: str
    record_b: str
    match_probability: float | None
    match_weight: float | None
    status: str
    decided_by: str | None
    decided_at: datetime | None
    note: str | None


def _item(row: LinkReview) -> ReviewItem:
    return ReviewItem(id=row.id, record_a=row.record_a, record_b=row.record_b,
                      match_probability=row.match_probability, match_weight=row.match_weight,
                      status=row.status, decided_by=row.decided_by, decided_at=row.decided_at,
                      note=row.note)


def queue(catalog: Catalog, status: str | None = "pending", limit: int = 100) -> list[ReviewItem]:
    """Review items, most uncertain first (match weight closest to zero)."""
    with catalog.session() as session:
        query = select(LinkReview)
        if status is not None:
            query = query.where(LinkReview.status == status)
        rows = session.scalars(query.order_by(LinkReview.id)).all()
        items = [_item(r) for r in rows]
    items.sort(key=lambda i: (abs(i.match_weight) if i.match_weight is not None else 0, i.id))
    return items[:limit]


def decide(catalog: Catalog, review_id: int, decision: str, by: str | None = None,
           note: str | None = None) -> ReviewItem:
    if decision not in DECISIONS:
        raise SpecError(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
    with catalog.session() as session:
        row = session.get(LinkReview, review_id)
        if row is None:
            raise NotFound(f"no review item {review_id}")
        row.status = DECISIONS[decision]
        row.decided_by, row.decided_at, row.note = by, utcnow(), note
        session.flush()
        return _item(row)


def force(catalog: Catalog, record_a: str, record_b: str, decision: str,
          by: str | None = None, note: str | None = None) -> ReviewItem:
    """Decide on any pair, queued or not (e.g. a practitioner spots a wrong merge)."""
    a, b = sorted((record_a, record_b))
    with catalog.session() as session:
        row = session.scalars(select(LinkReview).where(
            LinkReview.record_a == a, LinkReview.record_b == b)).first()
        if row is None:
            row = LinkReview(record_a=a, record_b=b, source="manual")
            session.add(row)
            session.flush()
        review_id = row.id
    return decide(catalog, review_id, decision, by=by, note=note)


def decisions(catalog: Catalog) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(forced links, forced non-links) as pairs of record names."""
    with catalog.session() as session:
        rows = session.execute(select(LinkReview.record_a, LinkReview.record_b,
                                      LinkReview.status).where(
            LinkReview.status.in_(["accepted", "rejected"]))).all()
    links = [(a, b) for a, b, s in rows if s == "accepted"]
    non_links = [(a, b) for a, b, s in rows if s == "rejected"]
    return links, non_links


def enqueue(catalog: Catalog, pairs: pa.Table, run_id: int | None) -> int:
    """Add pairs (unique_id_l, unique_id_r, match_probability, match_weight) not yet queued.

    One bulk INSERT (a million-record run queues tens of thousands of pairs)."""
    left = pc.min_element_wise(pairs["unique_id_l"], pairs["unique_id_r"]).to_pylist()
    right = pc.max_element_wise(pairs["unique_id_l"], pairs["unique_id_r"]).to_pylist()
    probabilities = pairs["match_probability"].to_pylist()
    weights = pairs["match_weight"].to_pylist()
    with catalog.session() as session:
        known = _queued(session, set(left))
        rows = []
        for a, b, probability, weight in zip(left, right, probabilities, weights, strict=True):
            if (a, b) in known:
                continue
            known.add((a, b))
            rows.append({"record_a": a, "record_b": b, "run_id": run_id,
                         "match_probability": probability, "match_weight": weight,
                         "status": "pending", "source": "model"})
        if rows:
            session.execute(insert(LinkReview), rows)
    return len(rows)


def _queued(session: Any, lefts: set[str]) -> set[tuple[str, str]]:
    """The queued pairs whose first record is one of `lefts`: looked up by the unique
    (record_a, record_b) index for the few pairs of an incremental run, else read whole."""
    if len(lefts) > LOOKUP_LIMIT:
        return {(a, b) for a, b in session.execute(
            select(LinkReview.record_a, LinkReview.record_b)).all()}
    ordered, known = sorted(lefts), set()
    for start in range(0, len(ordered), LOOKUP_CHUNK):
        chunk = ordered[start:start + LOOKUP_CHUNK]
        known |= {(a, b) for a, b in session.execute(
            select(LinkReview.record_a, LinkReview.record_b)
            .where(LinkReview.record_a.in_(chunk))).all()}
    return known


def undo_merge(catalog: Catalog, part_a: list[str], part_b: list[str],
               by: str | None = None) -> int:
    """Keep two groups of records apart for good: reject every pair across them."""
    count = 0
    for a in part_a:
        for b in part_b:
            force(catalog, a, b, "reject", by=by, note="undo merge")
            count += 1
    return count
