"""The ingest step of `odahub demo`: partners, feed specs, reference data, every feed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from odahub.errors import OdahubError, SpecError
from odahub.hub import Hub
from odahub.ingest.deliver import ingest_files
from odahub.ingest.feeds import add_feed, register_partner
from odahub.ingest.reference import load_reference
from odahub.ingest.spec import load_spec


def register_partners(hub: Hub, path: Path) -> int:
    """partners.yaml: a list of {code, name, kind}, or the same under a `partners:` key."""
    if not path.is_file():
        return 0
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    entries = data.get("partners", []) if isinstance(data, dict) else data
    if not isinstance(entries, list):
        raise SpecError(f"{path}: expected a list of partners")
    for entry in entries:
        register_partner(hub, str(entry["code"]), entry.get("name"), entry.get("kind", "other"))
    return len(entries)


def feed_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def run(hub: Hub, state: Any) -> dict[str, Any]:
    """Register partners and specs, load reference data, ingest every synthetic feed."""
    county = Path(state.synth_dir)
    partners = register_partners(hub, county / "reference" / "partners.yaml")
    specs = [load_spec(p) for p in sorted((county / "specs").glob("*.y*ml"))]
    for spec in specs:
        add_feed(hub, spec)
    reference = load_reference(hub, county / "reference")
    totals = {"rows_read": 0, "rows_accepted": 0, "rows_quarantined": 0}
    versions, skipped, failed = 0, 0, []
    for spec in specs:
        files = feed_files(county / "feeds" / spec.dataset)
        if not files:
            failed.append(f"{spec.dataset}: no files")
            continue
        try:
            result = ingest_files(hub, spec.dataset, files, created_by="pipeline")
        except OdahubError as error:
            failed.append(f"{spec.dataset}: {error.message}")
            continue
        if result.duplicate_of is not None:
            skipped += 1
            continue
        versions += 1
        for key in totals:
            totals[key] += getattr(result, key)
    return {"partners": partners, "feeds": len(specs), "versions": versions,
            "unchanged": skipped, **totals, "postcodes": reference.get("postcodes", 0),
            "failed": len(failed), "failures": "; ".join(failed)[:2000]}
