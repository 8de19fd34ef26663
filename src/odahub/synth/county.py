"""generate_county: the whole synthetic county — feeds, specs, reference, truth, manifest."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from odahub.synth.feeds import documents
from odahub.synth.feeds.registry import FEEDS
from odahub.synth.feeds.sink import FeedSink
from odahub.synth.geography import build_geography
from odahub.synth.params import (
    CHUNK_HOUSEHOLDS,
    EARLY_HELP_RATE_RATIO,
    OUTCOME_START,
    PERIOD_END,
    PERIOD_START,
    ErrorRates,
    chunk_rng,
)
from odahub.synth.pools import build_pools
from odahub.synth.population import household_sizes
from odahub.synth.reference import PARTNERS, write_reference, write_spec
from odahub.synth.simulate import simulate_chunk
from odahub.synth.truth import (
    TruthSink,
    attributes_json,
    households_truth,
    interventions_truth,
    persons_truth,
)

OUTPUTS = ("feeds", "specs", "reference", "truth", "manifest.json")
Progress = Callable[[int, int], None]


def generate_county(out: Path, persons: int, seed: int, error_rates: ErrorRates | None = None,
                    progress: Progress | None = None) -> dict[str, Any]:
    """Generate a county of `persons` people into `out`; returns the manifest."""
    rates = error_rates or ErrorRates()
    out = Path(out)
    _clear(out)
    pools = build_pools(seed)
    sizes = household_sizes(np.random.default_rng([seed, 7]), persons)
    geo = build_geography(len(sizes), seed, pools)
    write_reference(out / "reference", geo)
    for feed in [*FEEDS, documents.FEED]:
        write_spec(out / "specs", feed)
    truth = TruthSink(out / "truth")
    sink = FeedSink(out, FEEDS, rates, seed, truth)
    starts = list(range(0, len(sizes), CHUNK_HOUSEHOLDS))
    for chunk, start in enumerate(starts):
        life = simulate_chunk(seed, chunk, start, sizes[start:start + CHUNK_HOUSEHOLDS], geo,
                              pools)
        sink.add(life, geo)
        if chunk == 0:
            records, pii = documents.write_documents(
                out, life, geo, min(1000, 60 + persons // 25), chunk_rng(seed, 0, 99))
            truth.write("records", records)
            truth.write("pii", pii)
            sink.counts[documents.FEED.dataset] = len(records)
        _write_truth(truth, life, geo)
        if progress is not None:
            progress(min(start + CHUNK_HOUSEHOLDS, len(sizes)), len(sizes))
    sink.close()
    truth.close()
    return _manifest(out, persons, seed, rates, sink.counts, truth.rows)


def _clear(out: Path) -> None:
    for name in OUTPUTS:
        target = out / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    out.mkdir(parents=True, exist_ok=True)


def _write_truth(truth: TruthSink, life: Any, geo: Any) -> None:
    truth.write("persons", persons_truth(life))
    truth.write("households", households_truth(life, geo))
    truth.write("interventions", interventions_truth(life))
    events = life.events
    p = life.population.persons
    hh = life.population.households
    truth.write("events", _events_truth(events, p, hh, geo))


def _events_truth(events: Any, persons: Any, households: Any, geo: Any) -> Any:
    import pandas as pd

    from odahub.synth.feeds.records import to_dates

    frame = events.copy()
    if "found_oa" in frame:
        found = frame["found_oa"].to_numpy(dtype=float)
        frame["found_oa_code"] = np.where(np.isnan(found), None,
                                          geo.oa_code[np.nan_to_num(found).astype(np.int64)])
    return pd.DataFrame({
        "event_id": frame["event_id"],
        "person_id": persons["person_id"].to_numpy()[frame["person"].to_numpy()],
        "household_id": households["household_id"].to_numpy()[frame["household"].to_numpy()],
        "event_type": frame["event_type"],
        "event_date": pd.Series(to_dates(frame["day"].to_numpy())).dt.date,
        "attributes": attributes_json(frame).to_numpy(),
    })


def _manifest(out: Path, persons: int, seed: int, rates: ErrorRates, counts: dict[str, int],
              truth_rows: dict[str, int]) -> dict[str, Any]:
    files = []
    for path in sorted(p for p in out.rglob("*") if p.is_file() and p.name != "manifest.json"):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        files.append({"path": path.relative_to(out).as_posix(), "bytes": path.stat().st_size,
                      "sha256": digest})
    manifest: dict[str, Any] = {
        "generator": "odahub.synth", "persons": persons, "seed": seed,
        "error_rates": rates.as_dict(),
        "period": {"start": PERIOD_START.isoformat(), "end": PERIOD_END.isoformat(),
                   "outcome_window_start": OUTCOME_START.isoformat()},
        "early_help_rate_ratio": EARLY_HELP_RATE_RATIO,
        "partners": [p["code"] for p in PARTNERS],
        "datasets": [{"dataset": f.dataset, "partner": f.partner, "format": f.format,
                      "records": counts.get(f.dataset, 0)} for f in [*FEEDS, documents.FEED]],
        "truth_rows": truth_rows,
        "files": files,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest
