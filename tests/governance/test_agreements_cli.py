"""Agreements from YAML (clear errors), the CLI around them, and the demo step."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from odahub.errors import SpecError
from odahub.governance import agreements, audit, policy, step, users
from odahub.governance.demo import DEMO_PASSWORD
from odahub.hub import Hub

GOOD = """
agreements:
  - {code: T1, tier: 1, title: Intent, parties: [police, council], start: 2024-01-01,
     end: 2099-12-31, intent: share to intervene early}
  - code: T2-EH
    tier: 2
    tier1: T1
    title: Early help
    purpose: early_help
    legal_gateways: ["Children Act 2004 s.10"]
    dpia: DPIA-7
    parties: [police, council]
    start: 2024-01-01
    end: 2099-12-31
    review: 2025-06-30
    shares:
      - {party: police, datasets: [police_crime], level: identified, roles: [practitioner]}
"""
BAD = """
agreements:
  - code: T2
    tier: 2
    title: Broken
    purpose: Early Help
    parties: [police]
    start: 2024-01-01
    end: 2023-01-01
    shares:
      - {party: police, datasets: [police_crime], level: secret, roles: [analyst]}
"""


def runner_env(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("ODAHUB_HOME", str(hub.settings.home))
    monkeypatch.setenv("ODAHUB_DATABASE_URL", hub.settings.database_url)
    return CliRunner()


def test_load_and_list_through_the_cli(gov_hub: Hub, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from odahub.cli import app

    path = tmp_path / "isa.yaml"
    path.write_text(GOOD)
    runner = runner_env(gov_hub, monkeypatch)
    loaded = runner.invoke(app, ["agreements", "load", str(path)])
    assert loaded.exit_code == 0, loaded.output
    listed = runner.invoke(app, ["agreements", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    assert '"code": "T2-EH"' in listed.stdout and '"status": "in force"' in listed.stdout
    assert [e["action"] for e in audit.entries(gov_hub.catalog)][:2] == ["agreement.save"] * 2


def test_invalid_yaml_reports_every_problem_with_its_place(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(BAD)
    with pytest.raises(SpecError) as caught:
        agreements.parse(path)
    text = str(caught.value)
    assert "agreements[0].purpose" in text and "agreements[0].shares.0.level" in text
    path.write_text(BAD.replace("Early Help", "early_help").replace("secret", "identified"))
    with pytest.raises(SpecError, match="analysts may only be granted pseudonymised"):
        agreements.parse(path)


def test_unknown_parties_are_refused(gov_hub: Hub, tmp_path: Path) -> None:
    path = tmp_path / "isa.yaml"
    path.write_text(GOOD.replace("[police, council]", "[police, fire]"))
    with pytest.raises(SpecError) as caught:
        agreements.load_file(gov_hub.catalog, path)
    assert "unknown partner 'fire'" in str(caught.value)


def test_demo_step_loads_partners_users_of_every_role_and_agreements(gov_hub: Hub,
                                                                     tmp_path: Path) -> None:
    synth = tmp_path / "synth"
    (synth / "specs").mkdir(parents=True)
    (synth / "reference").mkdir()
    (synth / "reference" / "partners.yaml").write_text(
        "partners:\n  - {code: police, name: County Police, kind: police}\n"
        "  - {code: county_council, name: County Council, kind: council}\n")
    (synth / "specs" / "police_incidents.yaml").write_text(
        "dataset: police_incidents\npartner: police\nformat: csv\n")
    (synth / "specs" / "school_attendance.yaml").write_text(
        "dataset: school_attendance\npartner: schools\nformat: csv\n")

    class State:
        synth_dir = synth

    first = step.run(gov_hub, State())
    again = step.run(gov_hub, State())  # idempotent
    assert first["agreements"] == again["agreements"] == 3
    everyone = users.all_users(gov_hub.catalog)
    assert {role for u in everyone for role in u.roles} == {
        "hub_admin", "data_owner", "analyst", "practitioner", "auditor"}
    assert users.authenticate(gov_hub.catalog, "officer", DEMO_PASSWORD).partner == "police"
    officer = users.principal_for(gov_hub.catalog, "officer", "early_help", "demo")
    assert set(policy.readable(gov_hub.catalog, officer, "identified")) == {
        "police_incidents", "school_attendance"}
    analyst = users.principal_for(gov_hub.catalog, "analyst", "analytics", "demo")
    assert policy.readable(gov_hub.catalog, analyst, "identified") == {}
    assert len(policy.readable(gov_hub.catalog, analyst, "pseudonymised")) == 2
    for name in ("untrained", "unnominated", "auditor"):
        who = users.principal_for(gov_hub.catalog, name, "early_help", "demo")
        assert policy.readable(gov_hub.catalog, who, "pseudonymised") == {}, name
    assert audit.verify(gov_hub.catalog).ok
