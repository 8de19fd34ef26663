"""The access matrix: role × partner × dataset × training × agreement state × level.

The expected outcome is written out independently of policy.py; any unexpected allow fails.
Every authorise() call, allowed or denied, must leave one audit entry.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from odahub.catalog.tables.core import Dataset, Partner
from odahub.catalog.tables.governance import AuditEntry
from odahub.errors import AccessDenied
from odahub.governance import ROLES, agreements, audit, policy, users
from odahub.governance.agreements import AgreementSpec
from odahub.hub import Hub

from .conftest import add_user, today

PARTNERS = ("police", "council", "nhs")
DATASETS = {"police_crime": "police", "council_cin": "council", "nhs_ae": "nhs"}
STATES = {"in_force": (-30, 300), "expired": (-400, -1), "future": (10, 400)}
SHARERS = ("police", "council")  # nhs is a Tier 1 party but signed no Tier 2 share


def tier2(code: str, purpose: str, start: int, end: int) -> AgreementSpec:
    shares = [share for party in SHARERS for share in (
        {"party": party, "datasets": [d for d, p in DATASETS.items() if p == party],
         "level": "identified", "roles": ["practitioner", "data_owner"]},
        {"party": party, "datasets": [d for d, p in DATASETS.items() if p == party],
         "level": "pseudonymised", "roles": ["analyst"]})]
    # A party may not share what it does not own: police "sharing" the NHS dataset grants nothing.
    shares.append({"party": "police", "datasets": ["nhs_ae"], "level": "pseudonymised",
                   "roles": ["analyst", "practitioner", "data_owner", "hub_admin"]})
    return AgreementSpec.model_validate({
        "code": code, "tier": 2, "title": code, "parties": ["police", "council"],
        "tier1": "T1", "purpose": purpose, "legal_gateways": ["Children Act 2004 s.10"],
        "dpia": "DPIA-1", "start": today() + timedelta(days=start),
        "end": today() + timedelta(days=end), "shares": shares})


def setup_matrix(hub: Hub) -> None:
    with hub.catalog.session() as session:
        ids = dict(session.execute(select(Partner.code, Partner.id)).tuples().all())
        for name, owner in DATASETS.items():
            session.add(Dataset(name=name, partner_id=ids[owner], format="csv", spec={}))
    specs = [AgreementSpec.model_validate({
        "code": "T1", "tier": 1, "title": "intent", "parties": list(PARTNERS),
        "start": today() - timedelta(days=500), "end": today() + timedelta(days=500)})]
    specs += [tier2(f"T2-{state}", state, *days) for state, days in STATES.items()]
    agreements.save(hub.catalog, specs)
    for role, partner, trained in itertools.product(ROLES, PARTNERS, (True, False)):
        add_user(hub, f"{role}-{partner}-{trained}", partner=partner, roles=(role,),
                 trained=trained)


def expected(role: str, partner: str, dataset: str, trained: bool, state: str,
             level: str) -> bool:
    if not trained or state != "in_force" or partner not in SHARERS:
        return False
    if DATASETS[dataset] not in SHARERS:
        return False
    if level == "identified":
        return role in ("practitioner", "data_owner")
    return role in ("practitioner", "data_owner", "analyst")


def audit_count(hub: Hub) -> int:
    with hub.catalog.session() as session:
        return int(session.scalar(select(func.count()).select_from(AuditEntry)) or 0)


@pytest.mark.slow
def test_access_matrix_has_no_unexpected_allows_and_audits_every_decision(
        gov_hub: Hub) -> None:
    setup_matrix(gov_hub)
    before = audit_count(gov_hub)
    allowed = denied = 0
    for role, partner, trained, state in itertools.product(ROLES, PARTNERS, (True, False),
                                                           STATES):
        principal = users.principal_for(gov_hub.catalog, f"{role}-{partner}-{trained}",
                                        purpose=state, justification="matrix test")
        for level in ("identified", "pseudonymised"):
            want = {d for d in DATASETS if expected(role, partner, d, trained, state, level)}
            case = (role, partner, trained, state, level)
            assert set(policy.readable(gov_hub.catalog, principal, level)) == want, case
            for dataset in DATASETS:
                try:
                    access = policy.authorise(gov_hub.catalog, principal, dataset, level,
                                              action="matrix.read", subjects=["P-1"])
                    assert dataset in want, (*case, dataset)
                    assert access.agreement == f"T2-{state}", (*case, dataset)
                    allowed += 1
                except AccessDenied as error:
                    assert dataset not in want, (*case, dataset)
                    assert str(error) == f"{dataset!r} not found"  # looks like absence
                    denied += 1
    # practitioner and data owner: 2 partners x 2 datasets x 2 levels; analyst: pseudonymised only
    assert allowed == 2 * 2 * 2 * 2 + 2 * 2
    assert denied == 5 * 3 * 2 * 3 * 3 * 2 - allowed
    assert audit_count(gov_hub) == before + allowed + denied  # every decision audited
    entries = audit.entries(gov_hub.catalog, action="matrix.read", limit=10_000)
    assert sum(e["outcome"] == "denied" for e in entries) == denied
    assert all(e["subjects"] == [] for e in entries if e["outcome"] == "denied")
    assert audit.verify(gov_hub.catalog).ok


def test_decide_agrees_with_the_expected_matrix_on_a_sample(gov_hub: Hub) -> None:
    setup_matrix(gov_hub)
    for role, partner, dataset in itertools.product(ROLES, PARTNERS, DATASETS):
        principal = users.principal_for(gov_hub.catalog, f"{role}-{partner}-True",
                                        purpose="in_force", justification="sample")
        for level in ("identified", "pseudonymised"):
            want = expected(role, partner, dataset, True, "in_force", level)
            decided = policy.decide(gov_hub.catalog, principal, dataset, level)
            assert (decided is not None) == want, (role, partner, dataset, level)


def test_nomination_disabling_purpose_and_justification_are_required(gov_hub: Hub) -> None:
    setup_matrix(gov_hub)
    name = "practitioner-council-True"
    base = users.principal_for(gov_hub.catalog, name, "in_force", "checking a referral")
    assert policy.decide(gov_hub.catalog, base, "council_cin", "identified") is not None
    for principal in (base.for_purpose(None, "why"), base.for_purpose("unknown", "why")):
        assert policy.decide(gov_hub.catalog, principal, "council_cin", "identified") is None
    with pytest.raises(AccessDenied):  # a read must say why
        policy.authorise(gov_hub.catalog, base.for_purpose("in_force", None), "council_cin",
                         "identified", action="read")
    users.update(gov_hub.catalog, name, nominated=False)
    assert policy.decide(gov_hub.catalog, base, "council_cin", "identified") is None
    users.update(gov_hub.catalog, name, nominated=True)
    users.set_active(gov_hub.catalog, name, False)
    assert policy.decide(gov_hub.catalog, base, "council_cin", "identified") is None


def test_ending_an_agreement_stops_access_at_once(gov_hub: Hub) -> None:
    setup_matrix(gov_hub)
    principal = users.principal_for(gov_hub.catalog, "analyst-police-True", "in_force", "x")
    assert set(policy.readable(gov_hub.catalog, principal, "pseudonymised")) == {
        "police_crime", "council_cin"}
    assert policy.readable(gov_hub.catalog, principal, "identified") == {}
    tomorrow = today() + timedelta(days=1)
    assert policy.decide(gov_hub.catalog, principal, "police_crime", "pseudonymised",
                         on=today() + timedelta(days=301)) is None  # past its end date
    assert policy.decide(gov_hub.catalog, principal, "police_crime", "pseudonymised",
                         on=tomorrow) is not None
    agreements.end(gov_hub.catalog, "T2-in_force", actor="dpo")
    assert policy.readable(gov_hub.catalog, principal, "pseudonymised") == {}


def test_columns_follow_the_level_and_the_agreement() -> None:
    identified = policy.Access("d", "identified", None, "A")
    pseudonymised = policy.Access("d", "pseudonymised", None, "A")
    narrowed = policy.Access("d", "identified", frozenset({"event_date"}), "A")
    columns = ["dataset", "record_id", "first_name", "date_of_birth", "nhs_number", "sex",
               "event_date", "birth_year"]
    assert policy.visible_columns(identified, columns) == columns
    assert policy.visible_columns(pseudonymised, columns) == [
        "dataset", "record_id", "sex", "event_date", "birth_year"]
    assert policy.visible_columns(narrowed, columns) == ["dataset", "record_id", "event_date"]


def test_a_cached_policy_decides_dates_at_each_read_and_forgets_on_any_change(
        gov_hub: Hub) -> None:
    setup_matrix(gov_hub)
    cache = policy.PolicyCache(ttl=3600)  # as a web app holds it, with a TTL that never runs out
    principal = users.principal_for(gov_hub.catalog, "analyst-police-True", "in_force", "x")
    catalog = gov_hub.catalog
    assert set(policy.readable(catalog, principal, "pseudonymised", cache=cache)) == {
        "police_crime", "council_cin"}
    # Inputs are cached, dates are not: past the end date access stops on that very day.
    assert policy.decide(catalog, principal, "police_crime", "pseudonymised", cache=cache,
                         on=today() + timedelta(days=301)) is None
    assert policy.decide(catalog, principal, "police_crime", "pseudonymised", cache=cache,
                         on=today() + timedelta(days=1)) is not None
    users.update(catalog, "analyst-police-True", training_expires=today() - timedelta(days=1))
    assert policy.readable(catalog, principal, "pseudonymised", cache=cache) == {}
    users.update(catalog, "analyst-police-True", training_expires=today() + timedelta(days=30))
    assert policy.readable(catalog, principal, "pseudonymised", cache=cache) != {}
    agreements.end(catalog, "T2-in_force", actor="dpo")
    assert policy.readable(catalog, principal, "pseudonymised", cache=cache) == {}


def test_a_cached_policy_sees_changes_of_other_processes_within_its_ttl(
        gov_hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy import update

    from odahub.catalog.tables.governance import Agreement
    from odahub.governance import cached

    setup_matrix(gov_hub)
    clock = [1000.0]
    monkeypatch.setattr(cached.time, "monotonic", lambda: clock[0])
    cache = policy.PolicyCache(ttl=5)
    principal = users.principal_for(gov_hub.catalog, "analyst-police-True", "in_force", "x")
    assert policy.readable(gov_hub.catalog, principal, "pseudonymised", cache=cache) != {}
    with gov_hub.catalog.session() as session:  # as another process would: no audit here
        session.execute(update(Agreement).where(Agreement.code == "T2-in_force").values(
            end_date=today() - timedelta(days=1)))
    clock[0] += 5.01
    assert policy.readable(gov_hub.catalog, principal, "pseudonymised", cache=cache) == {}
