"""Retention and erasure leave no trace of the subject in any file of any zone or the catalog;
restriction freezes; subject access gathers one part per controller."""

from __future__ import annotations

from datetime import date

import pytest

from odahub.errors import SpecError
from odahub.governance import audit, policy, rectify, rights
from odahub.governance.retention import apply
from odahub.hub import Hub

from . import lake_fixture as lake
from .lake_fixture import COUNCIL, POLICE, every_text, traces
from .test_agreements_cli import runner_env


def test_retention_removes_expired_records_from_every_zone(gov_hub: Hub) -> None:
    lake.build(gov_hub)
    assert "AB1 1AA" in every_text(gov_hub)
    result = apply(gov_hub)
    assert result.expired == {"police_crime": 2}
    assert result.persons_removed == 1  # P-2 had no other record; P-1 is still in council_cin
    text = every_text(gov_hub)
    r2 = POLICE[1]
    for needle in [*traces(r2), "QUENTINSON", "P-2", "AB1 1AA", lake.token("AB1 1AA"),
                   "burglary", "crime_2020.csv\\n"]:
        assert needle not in text, needle
    assert '"R1"' not in text and '"R2"' not in text
    for needle in [*traces(POLICE[2]), *traces(COUNCIL[0]), "P-1", "P-3"]:
        assert needle in text, needle  # what is still in time stays
    latest = gov_hub.lake.read_latest("identified", "police_crime")
    assert sorted(latest["record_id"].to_pylist()) == ["R3", "R4"]
    assert gov_hub.lake.read_table(gov_hub.lake.versions("identified", "police_crime")[0]
                                   ).num_rows == 0  # a superseded version that held them
    assert gov_hub.lake.read_latest("quarantine", "police_crime").num_rows == 1
    tables = {(r["zone"], r["name"]) for r in result.removals}
    assert {("identified", "police_crime"), ("pseudonymised", "police_crime"),
            ("quarantine", "police_crime"), ("linked", "links"), ("linked", "households"),
            ("marts", "person_features"), ("landing", "police_crime")} <= tables
    assert apply(gov_hub).expired == {}  # idempotent
    assert audit.verify(gov_hub.catalog).ok


def test_erasure_removes_the_subject_everywhere_and_redacts_the_audit(gov_hub: Hub) -> None:
    lake.build(gov_hub)
    audit.record(gov_hub.catalog, actor="officer", action="person.search",
                 purpose="early_help", justification="call", subjects=["P-1"],
                 details={"search": "alice zebedee"})
    request = rights.open_request(gov_hub.catalog, "erasure", requested_by="dpo",
                                  person_id="P-1", received_on=date(2025, 1, 31))
    assert rights.get(gov_hub.catalog, request).due_on == date(2025, 2, 28)
    result = rights.erase(gov_hub, request, actor="dpo")
    assert result["records"] == 2 and result["audit_payloads_redacted"] >= 1
    text = every_text(gov_hub)
    for needle in [*traces(POLICE[0]), *traces(COUNCIL[0]), "ZEBEDEE", "zebedee", "burglary"]:
        assert needle not in text, needle
    for needle in [*traces(POLICE[1]), *traces(COUNCIL[1]), "P-4"]:
        assert needle in text, needle  # nobody else is touched
    for gone in ("police_crime:R1", "council_cin:C1"):  # the scored pairs too
        assert gone not in text, gone
    assert gov_hub.lake.read_latest("linked", "pairs")["unique_id_l"].to_pylist() == [
        "police_crime:R3"]
    assert audit.verify(gov_hub.catalog).ok
    assert rights.list_requests(gov_hub.catalog)[0]["status"] == "done"


def test_restriction_freezes_the_subjects_records(gov_hub: Hub) -> None:
    lake.build(gov_hub)
    request = rights.open_request(gov_hub.catalog, "restriction", requested_by="dpo",
                                  person_id="P-3")
    assert rights.restrict(gov_hub, request, actor="dpo") == 2
    held = policy.withheld(gov_hub.catalog, purpose="early_help")
    assert held.hides("police_crime", "R3") and held.hides("police_crime", "R4")
    assert held.hides("council_cin", "C9", "P-3") and not held.hides("council_cin", "C2", "P-4")
    objection = rights.open_request(gov_hub.catalog, "objection", requested_by="dpo",
                                    records=[("council_cin", "C2")])
    rights.restrict(gov_hub, objection, actor="dpo", purpose="analytics")
    assert policy.withheld(gov_hub.catalog, "analytics").hides("council_cin", "C2")
    assert not policy.withheld(gov_hub.catalog, "early_help").hides("council_cin", "C2")


def test_subject_access_has_one_part_per_controller_and_redacts_third_parties(
        gov_hub: Hub) -> None:
    lake.build(gov_hub)
    audit.record(gov_hub.catalog, actor="officer", action="person.view", purpose="early_help",
                 justification="call", dataset="police_crime", subjects=["P-1"])
    request = rights.open_request(gov_hub.catalog, "access", requested_by="dpo",
                                  person_id="P-1")
    report = rights.subject_access(gov_hub, request, actor="dpo")
    assert set(report["controllers"]) == {"police", "council"}
    police = report["controllers"]["police"]["police_crime"]
    assert [row["record_id"] for row in police] == ["R1"]
    assert police[0]["last_name"] == "ZEBEDEE"  # their own data, identified
    assert police[0]["free_text"] == "<PERSON> burglary"  # notes as redacted for others
    assert [a["by"] for a in report["accesses"]] == ["officer"]
    assert rights.list_requests(gov_hub.catalog, status="done")[0]["id"] == request


def test_rectification_waits_for_every_derived_table_then_closes(
        gov_hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    from odahub.cli import app

    lake.build(gov_hub)
    wrong_kind = rights.open_request(gov_hub.catalog, "erasure", requested_by="dpo",
                                     person_id="P-3")
    with pytest.raises(SpecError, match="not a rectification"):
        rectify.rectify(gov_hub, wrong_kind, "dpo", dataset="police_crime")
    request = rights.open_request(gov_hub.catalog, "rectification", requested_by="dpo",
                                  person_id="P-3")
    with pytest.raises(SpecError, match="changes none of the subject's records"):
        rectify.rectify(gov_hub, request, "dpo", dataset="police_crime")  # v2 only adds R4
    corrected = [("R3", *POLICE[2][1:3], "XAVIER-JONES", *POLICE[2][4:]), *POLICE[3:]]
    lake.write(gov_hub, "identified", "police_crime", lake.identified(
        [*POLICE[:2], *corrected], "police_crime"))                        # v3: the correction
    told = runner_env(gov_hub, monkeypatch).invoke(app, [
        "rights", "rectify", str(request), "--dataset", "police_crime", "--no-rerun"])
    assert told.exit_code == 0, told.output
    assert "waiting" in told.output and "odahub link --full" in told.output
    waiting = rectify.rectify(gov_hub, request, "dpo")
    assert not waiting.done and waiting.version == 3
    assert waiting.stale == ["pseudonymised/police_crime", "linked/links", "linked/households",
                             "marts/person_features"]
    assert rights.get(gov_hub.catalog, request).status == "open"

    def rerun(hub: Hub) -> dict[str, object]:
        with hub.lake.new_version("pseudonymised", "police_crime", source_version=3) as out:
            out.write_table(lake.pseudonymised([*POLICE[:2], *corrected], "police_crime"))
        for zone, name in (("linked", "links"), ("linked", "households"),
                           ("marts", "person_features")):
            lake.write(hub, zone, name, hub.lake.read_latest(zone, name))
        return {"privacy": "done"}

    done = rectify.rectify(gov_hub, request, "dpo", downstream=rerun)
    assert done.done and done.stages == {"privacy": "done"} and done.stale == []
    assert done.result is not None
    assert done.result["fields"] == {"R3": ["last_name"]}
    assert done.result["persons_before"] == done.result["persons_after"] == ["P-3"]
    assert done.result["versions"]["pseudonymised/police_crime"] == 2
    assert rights.get(gov_hub.catalog, request).status == "done"
    delivery = audit.entries(gov_hub.catalog, action="rights.rectification.delivery")[0]
    assert "XAVIER" not in str(delivery)  # field names in the audit, never values
    assert audit.verify(gov_hub.catalog).ok
    with pytest.raises(SpecError, match="already done"):
        rectify.rectify(gov_hub, request, "dpo")
