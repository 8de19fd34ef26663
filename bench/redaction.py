"""Free-text redaction recall and precision per kind on a synthetic county's case notes.

Builds a county (`odahub.synth.generate_county`), ingests it through the pipeline's governance and
ingest steps, measures the redactor against the identifiers planted in the notes
(DIR/truth/pii.parquet: kind and character offsets), then pseudonymises the notes and counts
planted values that survive as whole words in their pseudonymised note (must be 0; a month
inside a kept event date is not the name June).

    python bench/redaction.py [--persons 1500] [--seed 7] [--json]
    python bench/redaction.py --home HOME --county DIR   # an already ingested hub
    python bench/redaction.py --keep DIR                 # keep DIR/home and DIR/county

Pattern mode only (no NLP model) unless ODAHUB_REDACT_SPACY_MODEL names an installed one.
"""

from __future__ import annotations

import argparse
import calendar
import json
import re
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import open_hub  # noqa: E402
from odahub.hub import Hub  # noqa: E402
from odahub.privacy.evaluate import evaluate  # noqa: E402

NOTES = "case_notes"
MONTHS = "|".join(m for m in (*calendar.month_name, *calendar.month_abbr) if m)
WRITTEN_DATE = re.compile(rf"\b\d{{1,2}}(?:st|nd|rd|th)? (?:of )?(?:{MONTHS})\.?,? \d{{4}}\b")


def build(home: Path, county: Path, persons: int, seed: int) -> Hub:
    from odahub.governance import step as governance_step
    from odahub.ingest import step as ingest_step
    from odahub.pipeline import PipelineState
    from odahub.synth import generate_county

    generate_county(county, persons=persons, seed=seed)
    hub = open_hub(home, create=True)
    state = PipelineState(synth_dir=county, persons=persons, seed=seed)
    governance_step.run(hub, state)
    ingest_step.run(hub, state)
    return hub


def survivors(hub: Hub, county: Path) -> int:
    """Planted note values still present, as whole words, in their pseudonymised note."""
    from odahub.privacy.step import pseudonymise_all

    pseudonymise_all(hub, datasets=[NOTES])
    pii = pq.read_table(county / "truth" / "pii.parquet")
    planted = pii.filter(pc.and_(pc.equal(pii["dataset"], NOTES), pc.is_valid(pii["start"])))
    table = hub.lake.read_latest("pseudonymised", NOTES)
    texts = dict(zip(table["record_id"].to_pylist(), table["free_text"].to_pylist(), strict=True))
    left = 0
    for row in planted.select(["record_id", "kind", "value"]).to_pylist():
        text = texts.get(row["record_id"]) or ""
        if "name" in row["kind"]:  # a month in a kept event date ("16 June 2021") is no name
            text = WRITTEN_DATE.sub(" ", text)
        left += re.search(rf"(?<!\w){re.escape(row['value'])}(?!\w)", text) is not None
    return left


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--home", type=Path, help="an already ingested hub (with --county)")
    parser.add_argument("--county", type=Path, help="the county the hub ingested")
    parser.add_argument("--keep", type=Path, help="build into KEEP/home and KEEP/county and keep")
    parser.add_argument("--json", action="store_true", help="print the scores as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="odahub-redaction-") as scratch:
        started = time.perf_counter()
        if args.home is not None and args.county is not None:
            hub, county = open_hub(args.home, create=False), args.county
        else:
            base = args.keep or Path(scratch)
            county = base / "county"
            hub = build(base / "home", county, args.persons, args.seed)
        built = time.perf_counter() - started
        started = time.perf_counter()
        report = evaluate(hub, pq.read_table(county / "truth" / "pii.parquet"))
        measured = time.perf_counter() - started
        left = survivors(hub, county)
        hub.close()
    if args.json:
        print(json.dumps({"scores": report.as_dict(), "texts": report.texts,
                          "unlocated": report.unlocated, "shortfalls": report.shortfalls(),
                          "survivors": left}, indent=2))
        return
    print(f"county: {args.persons:,} persons, seed {args.seed}  (built and ingested in "
          f"{built:.0f}s, measured in {measured:.1f}s)")
    print(report.table())
    print(f"planted values surviving verbatim in pseudonymised notes: {left}")
    print("shortfalls: " + ("; ".join(report.shortfalls()) or "none"))


if __name__ == "__main__":
    main()
