"""The multi-agency picture of one person: identity, timeline, agencies, household, risk, links.

Everything is read through the datasets policy opens to the principal: a record from a closed
dataset is simply absent, and a person with no open record is "not found" (and the refusal is
audited).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from odahub.governance import Level, Principal
from odahub.governance.policy import Access
from odahub.web.index import readable_records, readable_rows
from odahub.web.queries import access, catalogue, risk
from odahub.web.serving import Serving

IDENTITY = {"identified": ["first_name", "last_name", "date_of_birth", "sex", "postcode",
                           "nhs_number"],
            "pseudonymised": ["birth_year", "sex", "oa_code"]}


@dataclass
class PersonView:
    person_id: str
    level: Level
    identity: dict[str, Any]
    records: list[dict[str, Any]]
    timeline: list[dict[str, Any]]
    agencies: list[dict[str, Any]]
    households: list[dict[str, Any]]
    risks: list[dict[str, Any]]
    sources: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)


def person_view(serving: Serving, principal: Principal, person_id: str,
                level: Level | None = None) -> PersonView:
    identified = access.readable(serving, principal, "identified")
    level = level or ("identified" if identified else "pseudonymised")
    readable = identified if level == "identified" else access.readable(
        serving, principal, "pseudonymised")
    rows = records_of(serving, level, readable, person_id)
    if not rows:
        access.refuse(serving, principal, "person.view", person_id)
    datasets = sorted({r["dataset"] for r in rows})
    view = PersonView(
        person_id=person_id, level=level, identity=identity(rows, level),
        records=[{k: r[k] for k in ("dataset", "record_id", "household_id", "match_probability")}
                 for r in rows],
        timeline=timeline(serving, rows), agencies=[], households=households(serving, person_id),
        risks=risk.scores_for(serving, person_id, {r["household_id"] for r in rows}),
        sources=catalogue.freshness(serving, datasets))
    view.agencies = agencies(view.timeline)
    access.record(serving, principal, "person.view", subjects=[person_id],
                  details={"level": level, "datasets": datasets})
    return view


def records_of(serving: Serving, level: Level, readable: dict[str, Access],
               person_id: str) -> list[dict[str, Any]]:
    """The person's readable records, newest first (a slice of the index by person id)."""
    index = serving.index.table(level)
    if index is None or not readable:
        return []
    persons = serving.index.persons(index)
    if persons is None:
        return serving.view.rows(
            f"SELECT * FROM {readable_records(index, level, readable, 'person_id = ?')} "
            "ORDER BY event_date DESC NULLS LAST, dataset, record_id", [person_id])
    records = readable_rows(persons.rows([person_id]), level, readable)
    order = pc.sort_indices(records, sort_keys=[
        ("event_date", "descending", "at_end"), ("dataset", "ascending", "at_end"),
        ("record_id", "ascending", "at_end")])
    rows: list[dict[str, Any]] = records.take(order).to_pylist()
    return rows


def identity(rows: list[dict[str, Any]], level: Level) -> dict[str, Any]:
    """The most frequent value of each identity field across the person's records."""
    found: dict[str, Any] = {}
    for column in IDENTITY[level]:
        values = [r[column] for r in rows if r.get(column) is not None]
        found[column] = max(set(values), key=values.count) if values else None
    return found


def timeline(serving: Serving, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    defaults = catalogue.dataset_defaults(serving)
    events = []
    for row in rows:
        info = defaults.get(row["dataset"], {})
        event_type = row.get("event_type") or info.get("event_type") or "record"
        event = serving.model.events.get(event_type)
        events.append({"dataset": row["dataset"], "record_id": row["record_id"],
                       "event_date": row.get("event_date"), "event_type": event_type,
                       "partner": info.get("partner"),
                       "agency": event.agency if event else info.get("partner")})
    return events


def agencies(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Who else is involved: each agency with its number of contacts, first and last."""
    summary: dict[str, dict[str, Any]] = {}
    for event in events:
        name = event.get("agency") or "unknown"
        entry = summary.setdefault(name, {"agency": name, "contacts": 0, "first": None,
                                          "last": None, "partners": set()})
        entry["contacts"] += 1
        entry["partners"].add(event.get("partner"))
        when = event.get("event_date")
        if when is not None:
            entry["first"] = min(filter(None, [entry["first"], when]))
            entry["last"] = max(filter(None, [entry["last"], when]))
    for entry in summary.values():
        entry["partners"] = sorted(p for p in entry["partners"] if p)
    return sorted(summary.values(), key=lambda e: -int(e["contacts"]))


def households(serving: Serving, person_id: str) -> list[dict[str, Any]]:
    """Households this person belonged to over time, each with its members in that period."""
    stays = serving.view.lookup("linked", "households", "person_id", [person_id])
    if stays is None or len(stays) == 0:
        return []
    mine: list[dict[str, Any]] = stays.select(["household_id", "valid_from", "valid_to"]).take(
        pc.sort_indices(stays, sort_keys=[("valid_from", "descending", "at_end")])).to_pylist()
    ids = [str(stay["household_id"]) for stay in mine]
    together = serving.view.lookup("linked", "households", "household_id", sorted(set(ids)))
    assert together is not None
    together = together.select(["household_id", "person_id", "valid_from", "valid_to"]).filter(
        pc.not_equal(pc.cast(together["person_id"], pa.string()), person_id))  # not the person

    together = together.take(pc.sort_indices(together, sort_keys=[
        ("household_id", "ascending", "at_end"), ("valid_from", "ascending", "at_end"),
        ("person_id", "ascending", "at_end")]))
    members: dict[str, list[dict[str, Any]]] = {}
    for member in together.to_pylist():  # the members of a few households
        household = str(member.pop("household_id"))
        members.setdefault(household, []).append(member)
    for stay, household in zip(mine, ids, strict=True):
        stay["members"] = members.get(household, [])
    return mine
