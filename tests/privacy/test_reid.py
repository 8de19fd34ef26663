from __future__ import annotations

from datetime import timedelta

import pyarrow as pa
import pytest

from odahub.catalog.base import utcnow
from odahub.catalog.tables.core import Dataset, Partner
from odahub.errors import AccessDenied
from odahub.governance import Principal, audit
from odahub.hub import Hub
from odahub.privacy import reid
from tests.privacy.sample import write_identified

ANALYST = Principal("ana", "council", frozenset({"analyst"}), purpose="early_help")
OWNER = Principal("olga", "council", frozenset({"data_owner"}))
POLICE_OWNER = Principal("pete", "police", frozenset({"data_owner"}))


def setup_hub(hub: Hub) -> None:
    with hub.catalog.session() as session:
        council = Partner(code="council", name="County Council", kind="council")
        police = Partner(code="police", name="Police", kind="police")
        session.add_all([council, police])
        session.flush()
        session.add(Dataset(name="social_care", partner_id=council.id, format="csv", spec={}))
        session.add(Dataset(name="police_incidents", partner_id=police.id, format="csv", spec={}))
    write_identified(hub, "social_care")
    write_identified(hub, "police_incidents")
    links = pa.table({
        "dataset": ["social_care"] * 3 + ["police_incidents"] * 3,
        "record_id": ["R1", "R2", "R3"] * 2,
        "person_id": ["P-1", "P-2", "P-1"] * 2,
        "household_id": ["H-1"] * 6, "match_probability": [1.0] * 6})
    with hub.lake.new_version("linked", "links") as writer:
        writer.write_table(links)


def file_request(hub: Hub) -> reid.RequestView:
    return reid.request(hub, ANALYST, subjects=["P-1"], purpose="early_help",
                        justification="child at risk, visit today", dpia_ref="DPIA-7",
                        owning_partner="council")


def actions(hub: Hub) -> list[tuple[str, str]]:
    return [(e["action"], e["outcome"]) for e in reversed(audit.entries(hub.catalog))
            if e["action"].startswith("reid.")]


def test_approved_request_reveals_only_its_subjects_in_the_owners_datasets(hub: Hub) -> None:
    setup_hub(hub)
    filed = file_request(hub)
    assert filed.status == "pending"
    with pytest.raises(AccessDenied):
        reid.reveal(hub, ANALYST, filed.id)  # not approved yet
    with pytest.raises(AccessDenied):
        reid.approve(hub, POLICE_OWNER, filed.id)  # not the owning partner
    approved = reid.approve(hub, OWNER, filed.id, days=3)
    assert approved.status == "approved" and approved.expires_at is not None
    records = reid.reveal(hub, ANALYST, filed.id)
    assert sorted(records["record_id"].to_pylist()) == ["R1", "R3"]
    assert set(records["dataset"].to_pylist()) == {"social_care"}  # police data not the owner's
    assert set(records["person_id"].to_pylist()) == {"P-1"}
    assert records["nhs_number"].to_pylist() == ["9434765919", "9434765919"]
    with pytest.raises(AccessDenied):
        reid.reveal(hub, ANALYST, filed.id, subjects=["P-2"])  # outside the request
    with pytest.raises(AccessDenied):
        reid.reveal(hub, OWNER, filed.id)  # only the requester
    assert actions(hub) == [
        ("reid.request", "allowed"), ("reid.reveal", "denied"), ("reid.approve", "denied"),
        ("reid.approve", "allowed"), ("reid.reveal", "allowed"), ("reid.reveal", "denied"),
        ("reid.reveal", "denied")]
    assert audit.verify(hub.catalog).ok


def test_expired_and_rejected_requests_reveal_nothing(sqlite_hub: Hub) -> None:
    hub = sqlite_hub
    setup_hub(hub)
    filed = file_request(hub)
    reid.approve(hub, OWNER, filed.id, days=1)
    with pytest.raises(AccessDenied, match="expired"):
        reid.reveal(hub, ANALYST, filed.id, now=utcnow() + timedelta(days=2))
    second = file_request(hub)
    with pytest.raises(AccessDenied):
        reid.approve(hub, ANALYST, second.id)  # a requester cannot approve
    assert reid.reject(hub, OWNER, second.id, note="use the pseudonymised view").status == \
        "rejected"
    with pytest.raises(AccessDenied, match="rejected"):
        reid.reveal(hub, ANALYST, second.id)
    assert [v.id for v in reid.list_requests(hub, POLICE_OWNER)] == []
    assert [v.id for v in reid.list_requests(hub, OWNER)] == [filed.id, second.id]
