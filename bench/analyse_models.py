"""Evaluate every model on a 100,000-person synthetic county (the issue's "Must show" numbers).

    python bench/analyse_models.py [--persons 100000] [--seed 1] [--rounds 200] [--folds 3]
                                   [--models school_readiness cse_areas] [--county DIR]

Generates the county (odahub.synth), reads its truth through the analyse truth adapter, runs
the temporal hold-out harness per model (as many yearly rolling origins as the history allows,
test years pooled) and prints AUROC and PR-AUC with 95% CIs, the gain over
every baseline with its paired CI (* = the interval excludes 0), calibration slope and intercept,
and the gap to the planted best; then whether the issue's "Must show" is met (`--check` makes
that the exit status). SYNTHETIC.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from odahub.analyse.evaluate import InsufficientData, evaluate, splits
from odahub.analyse.frames import MartCache
from odahub.analyse.inputs import from_truth
from odahub.analyse.planted import planted_scores
from odahub.analyse.specs import SPECS
from odahub.engine.duck import DuckDBEngine


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--folds", type=int, default=0,
                        help="rolling yearly origins (default 0: as many as the history allows)")
    parser.add_argument("--county", type=Path, default=None, help="an existing county folder")
    parser.add_argument("--models", nargs="+", choices=list(SPECS), default=list(SPECS),
                        help="evaluate only these models (default: all)")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 unless every model meets the issue's Must show")
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
    failures: list[str] = []
    for spec in (SPECS[name] for name in args.models):
        folds = splits(start, inputs.end_date, spec.horizon_days, folds=args.folds or None)

        def planted(test: object, as_of: object, spec: object = spec) -> object:
            return planted_scores(inputs, spec, test, as_of)  # type: ignore[arg-type]

        try:
            began = time.perf_counter()
            report = evaluate(cache, spec, folds, rounds=args.rounds,
                              planted=planted).report  # type: ignore[arg-type]
            print(f"\n{spec.name}: {len(folds)} folds evaluated in "
                  f"{time.perf_counter() - began:.0f} s (load {_load()})")
        except InsufficientData as error:
            print(f"{spec.name}: {error}")
            failures.append(f"{spec.name}: too little data")
            continue
        failures += check(spec.name, report)
    print(f"\nMUST SHOW (each model beats every baseline, CI of the AUROC or PR-AUC gain excluding "
          f"0; calibration slope {SLOPE[0]}-{SLOPE[1]}): "
          + ("MET" if not failures else "NOT MET: " + "; ".join(failures)))
    if args.check and failures:
        raise SystemExit(1)


SLOPE = (0.9, 1.1)


def _load() -> str:
    return Path("/proc/loadavg").read_text().split(" ")[0] if Path("/proc/loadavg").exists() \
        else "n/a"


def _ci(values: list[float]) -> str:
    return f"[{values[0]:.3f}, {values[1]:.3f}]"


def check(name: str, report: dict[str, Any]) -> list[str]:
    """Print one model's figures; return what falls short of the issue's "Must show"."""
    model = report["results"]["model"]
    point, ci = model["point"], model["ci95"]
    print(f"\n== {name} (SYNTHETIC) test as of {report['test_as_of']}, rows {report['rows']}, "
          f"positives {report['positives']}, k={report['k']}")
    print(f"AUROC {point['auroc']:.3f} CI {_ci(ci['auroc'])}; PR-AUC {point['pr_auc']:.3f} CI "
          f"{_ci(ci['pr_auc'])}; calibration slope {point['calibration_slope']:.3f} CI "
          f"{_ci(ci['calibration_slope'])}, intercept {point['calibration_intercept']:+.3f} CI "
          f"{_ci(ci['calibration_intercept'])}")
    failures = []
    for base, v in report["beats"].items():
        b = report["results"][base]["point"]
        print(f"  vs {base:12s} AUROC {b['auroc']:.3f} gain {v['auroc_gain']:+.3f} CI "
              f"[{v['gain_ci95'][0]:+.3f}, {v['gain_ci95'][1]:+.3f}]"
              f"{' *' if v['auroc_ci_excludes'] else '  '} | PR-AUC {b['pr_auc']:.3f} gain "
              f"{v['pr_auc_gain']:+.3f} CI [{v['pr_auc_gain_ci95'][0]:+.3f}, "
              f"{v['pr_auc_gain_ci95'][1]:+.3f}]{' *' if v['pr_auc_ci_excludes'] else '  '} "
              f"{'BEATS' if v['ci_excludes_baseline'] else 'not shown'}")
        if not v["ci_excludes_baseline"]:
            failures.append(f"{name} vs {base}")
    if not SLOPE[0] <= point["calibration_slope"] <= SLOPE[1]:
        failures.append(f"{name} calibration slope {point['calibration_slope']:.2f}")
    best = report.get("planted_best") or {}
    if best:
        print(f"  planted best: AUROC {best['auroc']:.3f} (gap {best['auroc_gap']:+.3f}), PR-AUC "
              f"{best['pr_auc']:.3f} (gap {best['pr_auc_gap']:+.3f}), coverage "
              f"{best['coverage']:.2f}")
    else:
        print("  planted best: not available")
    print(f"  consistency problems: {report['consistency_problems']}")
    return failures


if __name__ == "__main__":
    main()
