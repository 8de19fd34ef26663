"""Rectification: a partner corrects a subject's records by re-delivering its feed.

The request is tied to that delivery (which fields of which records changed), the stages after
ingest run again (pseudonymise → link → analyse), and the request closes once every derived
table is newer than the correction, saying what changed and where the records now belong.

Governance does not import the stages: whoever calls `rectify` passes them in as `downstream`
(the CLI passes the pipeline's stages after ingest), or runs them itself and calls again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from odahub.catalog.tables.governance import RightsRequest
from odahub.errors import NotFound, SpecError
from odahub.governance import audit, rights
from odahub.hub import Hub

Downstream = Callable[[Hub], dict[str, Any]]

# Derived tables a correction must reach, in the order the stages write them.
LINKED = ("links", "households")
MARTS = ("person_features", "household_features", "oa_features")
# Columns that describe where a record sits in a delivery, not what it says about the subject.
NOT_CONTENT = {"dataset", "record_id", "source_file", "source_row", "_flags"}
RERUN_HINT = ("run `odahub pseudonymise`, `odahub link --full` and `odahub analyse all`, "
              "then `odahub rights rectify {id}` again")


@dataclass
class Progress:
    """Where a rectification stands: still waiting for some tables, or done with its result."""

    request: int
    dataset: str
    version: int
    stale: list[str] = field(default_factory=list)   # zone/table older than the correction
    result: dict[str, Any] | None = None              # set once the request is closed
    stages: dict[str, Any] | None = None              # what the downstream run reported

    @property
    def done(self) -> bool:
        return self.result is not None


def rectify(hub: Hub, request_id: int, actor: str, *, dataset: str | None = None,
            version: int | None = None, downstream: Downstream | None = None) -> Progress:
    """Tie the request to a corrected delivery (if named), re-run the stages, complete it."""
    if dataset is not None:
        record_delivery(hub, request_id, actor=actor, dataset=dataset, version=version)
    elif not _rectification(hub, request_id).changes:
        raise SpecError(f"request {request_id}: name the corrected delivery (--dataset DATASET)")
    stages = downstream(hub) if downstream is not None else None
    progress = complete(hub, request_id, actor=actor)
    progress.stages = stages
    return progress


def record_delivery(hub: Hub, request_id: int, *, actor: str, dataset: str,
                    version: int | None = None) -> dict[str, Any]:
    """Record which delivery corrects the subject's records, and which fields it changed."""
    request = _rectification(hub, request_id)
    after, before = _versions(hub, dataset, version)
    ids = rights.subject_records(hub, request).get(dataset, set())
    if not ids:
        raise SpecError(f"request {request_id}: the subject has no records in {dataset!r}; "
                        "name them with --record DATASET:RECORD_ID")
    changed = _changes(_rows(hub, before, ids), _rows(hub, after, ids))
    if not changed:
        raise SpecError(f"version {after.version} of {dataset!r} changes none of the subject's "
                        f"records ({', '.join(sorted(ids)[:5])}); a rectification needs a "
                        "corrected re-delivery")
    persons = sorted(set(_persons(hub, dataset, set(changed)).values()))
    changes = {"dataset": dataset, "version": after.version, "previous_version": before.version,
               "records": changed, "persons_before": persons,
               "delivered_at": after.created_at.isoformat(timespec="seconds")}
    with hub.catalog.session() as session:
        row = session.get(RightsRequest, request_id)
        assert row is not None
        row.changes = changes
    fields = sorted({f for names in changed.values() for f in names})
    audit.record(hub.catalog, actor=actor, action="rights.rectification.delivery",
                 dataset=dataset, subjects=persons, outcome="done",
                 details={"request": request_id, "version": after.version, "fields": fields,
                          "records": len(changed)})  # field names only, never values
    return changes


def complete(hub: Hub, request_id: int, *, actor: str) -> Progress:
    """Close the request if every derived table is newer than the correction; else say which."""
    request = _rectification(hub, request_id)
    changes = request.changes
    if not changes:
        raise SpecError(f"request {request_id}: no corrected delivery recorded yet")
    dataset, version = str(changes["dataset"]), int(changes["version"])
    progress = Progress(request_id, dataset, version, stale=stale_tables(hub, dataset, version))
    if progress.stale:
        return progress
    records = dict(changes["records"])
    now = _persons(hub, dataset, set(records))
    progress.result = {
        "dataset": dataset, "version": version, "fields": records,
        "persons_before": changes["persons_before"], "persons_after": sorted(set(now.values())),
        "records_unlinked": sorted(set(records) - set(now)),
        "versions": _current_versions(hub, dataset)}
    rights.close(hub.catalog, request_id, actor=actor, result=progress.result)
    return progress


def stale_tables(hub: Hub, dataset: str, version: int) -> list[str]:
    """zone/table names whose current version was written before the correction reached it
    (a table that does not exist yet holds nothing old)."""
    lake = hub.lake
    pseudonymised = lake.latest("pseudonymised", dataset)
    if pseudonymised is None or (pseudonymised.source_version or 0) < version:
        downstream = [f"{zone}/{name}" for zone, names in (("linked", LINKED), ("marts", MARTS))
                      for name in names if lake.latest(zone, name) is not None]
        return [f"pseudonymised/{dataset}", *downstream]
    links = lake.latest("linked", LINKED[0])
    # linked tables must be newer than the pseudonymised correction, marts newer than the links
    since = {"linked": pseudonymised.created_at,
             "marts": links.created_at if links is not None else pseudonymised.created_at}
    stale = []
    for zone, names in (("linked", LINKED), ("marts", MARTS)):
        for name in names:
            latest = lake.latest(zone, name)
            if latest is not None and latest.created_at < since[zone]:
                stale.append(f"{zone}/{name}")
    return stale


def _rectification(hub: Hub, request_id: int) -> RightsRequest:
    request = rights.get(hub.catalog, request_id)
    if request.kind != "rectification":
        raise SpecError(f"request {request_id} is a {request.kind} request, not a rectification")
    if request.status != "open":
        raise SpecError(f"request {request_id} is already {request.status}")
    return request


def _versions(hub: Hub, dataset: str, version: int | None) -> tuple[Any, Any]:
    versions = hub.lake.versions("identified", dataset)
    if not versions:
        raise NotFound(f"no delivery of {dataset!r} in the identified zone")
    by_number = {v.version: v for v in versions}
    number = version if version is not None else max(by_number)
    if number not in by_number:
        raise NotFound(f"{dataset!r} has no version {number} (versions: "
                       f"{', '.join(str(n) for n in sorted(by_number))})")
    earlier = [n for n in by_number if n < number]
    if not earlier:
        raise SpecError(f"version {number} is the first delivery of {dataset!r}: nothing it "
                        "could correct; ingest the corrected re-delivery first")
    return by_number[number], by_number[max(earlier)]


def _rows(hub: Hub, version: Any, ids: set[str]) -> dict[str, dict[str, Any]]:
    table = hub.lake.read_table(version)
    mask = pc.is_in(pc.cast(table["record_id"], pa.string()),
                    value_set=pa.array(sorted(ids), pa.string()))
    return {str(row["record_id"]): row for row in table.filter(mask).to_pylist()}


def _changes(before: dict[str, dict[str, Any]],
             after: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    """record id -> the content fields whose value differs (a removed record: every field)."""
    changed = {}
    for record_id, old in before.items():
        new = after.get(record_id, {})
        fields = sorted(k for k in set(old) | set(new)
                        if k not in NOT_CONTENT and old.get(k) != new.get(k))
        if fields:
            changed[record_id] = fields
    return changed


def _persons(hub: Hub, dataset: str, ids: set[str]) -> dict[str, str]:
    """record id -> its person in the current links."""
    latest = hub.lake.latest("linked", "links")
    if latest is None:
        return {}
    links = hub.lake.read_table(latest, ["dataset", "record_id", "person_id"])
    mask = pc.and_(pc.equal(links["dataset"], dataset),
                   pc.is_in(pc.cast(links["record_id"], pa.string()),
                            value_set=pa.array(sorted(ids), pa.string())))
    return {str(r["record_id"]): str(r["person_id"]) for r in links.filter(mask).to_pylist()}


def _current_versions(hub: Hub, dataset: str) -> dict[str, int]:
    names = [("identified", dataset), ("pseudonymised", dataset),
             *(("linked", n) for n in LINKED), *(("marts", n) for n in MARTS)]
    found = {f"{zone}/{name}": hub.lake.latest(zone, name) for zone, name in names}
    return {key: v.version for key, v in found.items() if v is not None}
