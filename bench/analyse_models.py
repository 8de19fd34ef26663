"""Evaluate every model on a 20,000-person synthetic county (the issue's "Must show" numbers).

    python bench/analyse_models.py [--persons 20000] [--seed 1] [--rounds 200]

Generates the county (odahub.synth), reads its truth through the analyse truth adapter, runs
the temporal hold-out harness per model and prints AUROC with 95% CI, the gain over every
baseline with its paired CI, calibration slope and the gap to the planted best. SYNTHETIC.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from odahub.analyse.evaluate import InsufficientData, evaluate, splits
from odahub.analyse.frames import MartCache
from odahub.analyse.inputs import from_truth
from odahub.analyse.planted import planted_scores
from odahub.analyse.specs import SPECS
from odahub.engine.duck import DuckDBEngine


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--folds", type=int, default=2)
    parser.add_argument("--county", type=Path, default=None, help="an existing county folder")
    args = parser.parse_args()
    county = args.county
    if county is None:
        from odahub.synth import generate_county  # type: ignore[attr-defined]

        county = Path(tempfile.mkdtemp()) / "county"
        generate_county(county, persons=args.persons, seed=args.seed)
    engine = DuckDBEngine()
    inputs = from_truth(county, engine)
    inputs.register(engine)
    cache = MartCache(engine)
    start = min(inputs.events.column("event_date").to_pylist())
    for spec in SPECS.values():
        folds = splits(start, inputs.end_date, spec.horizon_days, folds=args.folds)

        def planted(test: object, as_of: object, spec: object = spec) -> object:
            return planted_scores(inputs, spec, test, as_of)  # type: ignore[arg-type]

        try:
            report = evaluate(cache, spec, folds, rounds=args.rounds,
                              planted=planted).report  # type: ignore[arg-type]
        except InsufficientData as error:
            print(f"{spec.name}: {error}")
            continue
        model = report["results"]["model"]
        print(f"\n== {spec.name} (SYNTHETIC) test as of {report['test_as_of']}, rows "
              f"{report['rows']}, positives {report['positives']}, k={report['k']}")
        print(f"AUROC {model['point']['auroc']:.3f} CI {model['ci95']['auroc']}, "
              f"calibration slope {model['point']['calibration_slope']:.3f} CI "
              f"{model['ci95']['calibration_slope']}")
        for name, verdict in report["beats"].items():
            print(f"  vs {name:12s} gain {verdict['auroc_gain']:+.3f} CI "
                  f"[{verdict['gain_ci95'][0]:+.3f}, {verdict['gain_ci95'][1]:+.3f}] "
                  f"{'BEATS' if verdict['ci_excludes_baseline'] else 'not shown'}")
        print(f"  planted best: {json.dumps(report.get('planted_best'))}")
        print(f"  consistency problems: {report['consistency_problems']}")


if __name__ == "__main__":
    main()
