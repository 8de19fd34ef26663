"""Demo principals and agreements for `odahub demo`: every role, agreements over every dataset."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

from odahub.catalog import Catalog
from odahub.catalog.base import utcnow
from odahub.governance import agreements, users

DEMO_PASSWORD = "odahub-demo-pass"  # noqa: S105  printed by `odahub demo`; demo homes only

BUILT_IN_PARTNERS = [
    {"code": "police", "name": "County Police", "kind": "police"},
    {"code": "county_council", "name": "County Council", "kind": "council"},
    {"code": "district_council", "name": "District Council", "kind": "council"},
    {"code": "nhs_trust", "name": "NHS Hospital Trust", "kind": "nhs"},
    {"code": "fire", "name": "Fire and Rescue Service", "kind": "fire"},
    {"code": "schools", "name": "Schools and Education", "kind": "education"},
    {"code": "probation", "name": "Probation Service", "kind": "probation"},
    {"code": "university", "name": "University", "kind": "university"},
]

GATEWAYS = {
    "early_help": ["Children Act 2004 s.10 and s.11", "Children and Families Act 2014",
                   "Crime and Disorder Act 1998 s.115"],
    "analytics": ["Localism Act 2011 s.1", "Crime and Disorder Act 1998 s.17",
                  "Welfare Reform Act 2012"],
}


@dataclass(frozen=True)
class DemoUser:
    username: str
    partner: str
    roles: tuple[str, ...]
    nominated: bool = True
    trained: bool = True


def read_partners(synth_dir: Path | None) -> list[dict[str, str]]:
    path = synth_dir / "reference" / "partners.yaml" if synth_dir else None
    if path is None or not path.exists():
        return BUILT_IN_PARTNERS
    data = yaml.safe_load(path.read_text())
    items = data.get("partners", []) if isinstance(data, dict) else data
    return [{"code": str(p["code"]), "name": str(p.get("name", p["code"])),
             "kind": str(p.get("kind", "other"))} for p in items or []]


def read_datasets(synth_dir: Path | None, partners: list[str]) -> dict[str, str]:
    """dataset -> partner, from the county's feed specs (or one demo dataset per partner)."""
    folder = synth_dir / "specs" if synth_dir else None
    if folder is None or not folder.is_dir():
        return {f"{code}_records": code for code in partners}
    found: dict[str, str] = {}
    for path in sorted(folder.glob("*.yaml")):
        spec = yaml.safe_load(path.read_text()) or {}
        if isinstance(spec, dict) and spec.get("dataset") and spec.get("partner"):
            found[str(spec["dataset"])] = str(spec["partner"])
    return found


def demo_users(partners: list[str]) -> list[DemoUser]:
    def pick(*wanted: str) -> str:
        return next((code for code in wanted if code in partners), partners[0])

    council, police = pick("county_council", "council"), pick("police")
    found = [
        DemoUser("admin", council, ("hub_admin",)),
        DemoUser("analyst", pick("university", "county_council"), ("analyst",)),
        DemoUser("practitioner", council, ("practitioner",)),
        DemoUser("officer", police, ("practitioner",)),
        DemoUser("auditor", council, ("auditor",)),
        DemoUser("untrained", council, ("practitioner",), trained=False),
        DemoUser("unnominated", council, ("practitioner",), nominated=False),
    ]
    found += [DemoUser(f"dpo_{code}", code, ("data_owner",)) for code in partners]
    return found


def demo_agreements(datasets: dict[str, str], partners: list[str],
                    today: date) -> list[agreements.AgreementSpec]:
    start, end = today - timedelta(days=365), today + timedelta(days=3 * 365)
    by_partner: dict[str, list[str]] = {}
    for dataset, partner in sorted(datasets.items()):
        by_partner.setdefault(partner, []).append(dataset)
    parties = sorted(set(partners) | set(by_partner))
    tier1 = agreements.AgreementSpec(
        code="ISA-T1-DEMO", tier=1, title="Demo partnership: intent to share", parties=parties,
        start=start, end=end, review=today + timedelta(days=180),
        intent="Share data to identify need early and target early intervention.")

    def tier2(code: str, purpose: str, title: str, shares: list[dict[str, Any]]) -> Any:
        return agreements.AgreementSpec.model_validate({
            "code": code, "tier": 2, "title": title, "parties": parties, "tier1": tier1.code,
            "purpose": purpose, "use_case": title, "legal_gateways": GATEWAYS[purpose],
            "dpia": f"DPIA-{purpose.upper()}-001", "start": start, "end": end,
            "review": today + timedelta(days=180), "shares": shares})

    early_help = [share for party, names in by_partner.items() for share in (
        {"party": party, "datasets": names, "level": "identified",
         "roles": ["practitioner", "data_owner"]},
        {"party": party, "datasets": names, "level": "pseudonymised",
         "roles": ["analyst", "hub_admin"]})]
    analytics = [{"party": party, "datasets": names, "level": "pseudonymised",
                  "roles": ["analyst", "hub_admin", "data_owner"]}
                 for party, names in by_partner.items()]
    specs = [tier1]
    if by_partner:
        specs += [tier2("ISA-T2-EARLY-HELP", "early_help",
                        "Early help and safeguarding of children and families", early_help),
                  tier2("ISA-T2-ANALYTICS", "analytics",
                        "Pseudonymised analytics: need, demand and risk models", analytics)]
    return specs


def load(catalog: Catalog, synth_dir: Path | None) -> dict[str, Any]:
    """Create (or refresh) demo partners, users and agreements; idempotent."""
    today = utcnow().date()
    partner_rows = read_partners(synth_dir)
    with catalog.session() as session:
        for partner in partner_rows:
            users.ensure_partner(session, partner["code"], partner["name"], partner["kind"])
    codes = [p["code"] for p in partner_rows]
    datasets = read_datasets(synth_dir, codes)
    with catalog.session() as session:
        for code in sorted(set(datasets.values()) - set(codes)):
            users.ensure_partner(session, code)
    codes = sorted(set(codes) | set(datasets.values()))
    people = demo_users(codes)
    for person in people:
        completed = today - timedelta(days=400 if not person.trained else 30)
        users.create(catalog, person.username, partner=person.partner, roles=person.roles,
                     password=DEMO_PASSWORD, nominated=person.nominated,
                     training_completed=completed,
                     training_expires=completed + timedelta(days=365),
                     display_name=person.username.replace("_", " ").title(), actor="demo")
    saved = agreements.save(catalog, demo_agreements(datasets, codes, today), actor="demo")
    return {"partners": len(codes), "users": len(people), "agreements": len(saved),
            "datasets_covered": len(datasets), "demo_password": DEMO_PASSWORD}
