"""Model card and Algorithmic Transparency Recording Standard (ATRS) record of a training run."""

from __future__ import annotations

import io
import json
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, never a window
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from odahub.analyse.evaluate import SYNTHETIC, Evaluation  # noqa: E402

LIMITATIONS = [
    "Trained and evaluated on a SYNTHETIC county: the figures show the method works, not that "
    "the model would work on real partner data.",
    "Advisory only: a list is a prompt for a practitioner's professional judgement, never a "
    "decision. Every action or override is recorded with its reason.",
    "Sees only what partners recorded: households not known to services are scored from their "
    "area and make-up alone, and under-recording in some groups can bias scores.",
    "Protected characteristics (sex, ethnicity) are not model inputs, but proxies may exist; "
    "see the fairness table. Small groups are flagged and should not be compared.",
    "Performance drifts as services and recording change: population stability (PSI) is "
    "monitored and a retrain or retire signal is raised.",
]


VERDICT = {True: "CI excludes the baseline", False: "NOT shown better"}


def _png(figure: Any) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def charts(evaluation: Evaluation) -> dict[str, bytes]:
    rel = evaluation.report["reliability"]
    figure, axis = plt.subplots(figsize=(4.5, 4.5))
    axis.plot([0, 1], [0, 1], color="grey", linestyle="--", label="perfect")
    axis.plot(rel["predicted"], rel["observed"], marker="o", label="model")
    top = max(max(rel["predicted"], default=0.1), max(rel["observed"], default=0.1)) * 1.1
    axis.set(xlim=(0, top), ylim=(0, top), xlabel="predicted probability",
             ylabel="observed rate", title=f"Reliability — {evaluation.spec.name} (SYNTHETIC)")
    axis.legend()
    reliability = _png(figure)
    figure, axis = plt.subplots(figsize=(5, 3.5))
    y = evaluation.test["label"].to_numpy(dtype=int)
    score = evaluation.scores["model"]
    bins = np.linspace(0, max(float(score.max()), 1e-3), 30).tolist()
    axis.hist([score[y == 0], score[y == 1]], bins=bins, stacked=True,
              label=["no outcome", "outcome"])
    axis.set(xlabel="calibrated score", ylabel="count",
             title=f"Score distribution — {evaluation.spec.name} (SYNTHETIC)")
    axis.legend()
    return {"reliability.png": reliability, "score_distribution.png": _png(figure)}


def _fmt(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) and np.isfinite(value) else "—"


def metrics_table(report: dict[str, Any]) -> str:
    lines = ["| scorer | AUROC (95% CI) | PR-AUC | Brier | cal. slope | precision@k | lift@k |",
             "|---|---|---|---|---|---|---|"]
    for name, result in report["results"].items():
        p, ci = result["point"], result["ci95"]
        lines.append(f"| {name} | {_fmt(p['auroc'])} ({_fmt(ci['auroc'][0])}–"
                     f"{_fmt(ci['auroc'][1])}) | {_fmt(p['pr_auc'])} | {_fmt(p['brier'])} | "
                     f"{_fmt(p['calibration_slope'])} | {_fmt(p['precision_at_k'])} | "
                     f"{_fmt(p['lift_at_k'])} |")
    return "\n".join(lines)


def fairness_md(rows: list[dict[str, Any]]) -> str:
    lines = ["| attribute | group | n | positives | selection | FNR | FPR | mean predicted | "
             "observed | small |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['attribute']} | {r['group']} | {r['count']} | {r['positives']} | "
                     f"{_fmt(r['selection_rate'])} | {_fmt(r['false_negative_rate'])} | "
                     f"{_fmt(r['false_positive_rate'])} | {_fmt(r['mean_predicted'])} | "
                     f"{_fmt(r['observed_rate'])} | {'yes' if r['small_group'] else ''} |")
    return "\n".join(lines)


def model_card(evaluation: Evaluation, version: int, importance: list[dict[str, Any]]) -> str:
    spec, report = evaluation.spec, evaluation.report
    beats = "\n".join(f"- vs {name}: AUROC gain {v['auroc_gain']:+.3f} (95% CI "
                      f"{_fmt(v['gain_ci95'][0])} to {_fmt(v['gain_ci95'][1])}), PR-AUC gain "
                      f"{v.get('pr_auc_gain', float('nan')):+.3f} (95% CI "
                      f"{_fmt(v.get('pr_auc_gain_ci95', [None, None])[0])} to "
                      f"{_fmt(v.get('pr_auc_gain_ci95', [None, None])[1])}); "
                      f"{VERDICT[bool(v['ci_excludes_baseline'])]}"
                      for name, v in report["beats"].items())
    planted = report.get("planted_best") or {}
    best = (f"Best achievable from the planted truth (it knows the latent path, so no model can "
            f"reach it): AUROC {_fmt(planted.get('auroc'))}, gap to this model "
            f"{_fmt(planted.get('auroc_gap'))}; PR-AUC {_fmt(planted.get('pr_auc'))}, gap "
            f"{_fmt(planted.get('pr_auc_gap'))}." if planted else
            "Best achievable score: not available for this data source (lake ids are the "
            "hub's own; the planted truth is joined only on the synthetic county's truth).")
    top = "\n".join(f"- {i['words']} ({i['mean_abs_shap']})" for i in importance)
    return f"""# Model card: {spec.title}

> **{SYNTHETIC}.** Advisory risk list — professional judgement decides.

- Model: `{spec.name}` version {version}; LightGBM with Platt calibration on a later slice
- Entity: {spec.entity}; operational list size k = {report['k']}
- Cohort: {spec.cohort}
- Target: {spec.target}
- Prediction time: the as-of date of the marts; horizon {spec.horizon_days} days
- Training snapshots: {', '.join(report['train_as_of'])}; calibration {report['calibrate_as_of']};
  temporal hold-out tests {', '.join(report['test_as_of'])} (outcomes after training,
  {report['folds']} rolling folds pooled)
- Rows: {report['rows']}; positives: {report['positives']}; test base rate
  {_fmt(report['base_rate_test'])}

## Metrics on the temporal hold-out (SYNTHETIC)
{metrics_table(report)}

{beats}

{best}

Consistency checks: {'passed' if not report['consistency_problems'] else
                     '; '.join(report['consistency_problems'])}.

![reliability](reliability.png) ![scores](score_distribution.png)

## Fairness (top-k selection; SYNTHETIC)
{fairness_md(report.get('fairness', []))}

## What drives the score (mean |SHAP|)
{top}

## Limitations
{chr(10).join('- ' + item for item in LIMITATIONS)}
"""


def atrs_record(evaluation: Evaluation, version: int) -> dict[str, Any]:
    """ATRS tier-2 style fields (owner, purpose, data, risks, human oversight, performance)."""
    spec, report = evaluation.spec, evaluation.report
    return {
        "atrs_version": "3.0", "label": SYNTHETIC,
        "tier_1": {"name": spec.title, "description": spec.target,
                   "purpose": "Help partners offer early help; an advisory list for practitioners.",
                   "how_it_works": "A gradient-boosted tree model over multi-agency event "
                                   "counts, recency, acceleration, household aggregates and "
                                   "cross-agency interactions, calibrated to probabilities.",
                   "decision_subject": spec.entity},
        "tier_2": {
            "owner_and_responsibility": {"organisation": "ODA hub partnership",
                                         "model": spec.name, "version": version},
            "description_and_rationale": {"cohort": spec.cohort, "target": spec.target,
                                          "horizon_days": spec.horizon_days},
            "decision_making_process": {"human_oversight": "Every list entry is reviewed by "
                                        "a practitioner; decisions and override reasons are "
                                        "recorded in the catalog.", "advisory": True},
            "data": {"source": "pseudonymised, linked partner records (marts/*_features)",
                     "training_as_of": report["train_as_of"], "rows": report["rows"]},
            "performance": {name: r["point"] for name, r in report["results"].items()},
            "gains_over_baselines": report["beats"],
            "planted_best": report.get("planted_best") or None,
            "fairness": report.get("fairness", []),
            "risks_and_mitigations": LIMITATIONS,
        },
    }


def card_files(evaluation: Evaluation, version: int, importance: list[dict[str, Any]]
               ) -> dict[str, bytes | str]:
    atrs = atrs_record(evaluation, version)
    files: dict[str, bytes | str] = {
        "model_card.md": model_card(evaluation, version, importance),
        "model_card.json": json.dumps({"report": evaluation.report, "importance": importance},
                                      indent=2, default=str),
        "atrs.json": json.dumps(atrs, indent=2, default=str),
        "atrs.md": f"# ATRS record: {evaluation.spec.title}\n\n> {SYNTHETIC}\n\n```json\n"
                   f"{json.dumps(atrs['tier_1'], indent=2)}\n```\n",
    }
    files.update(charts(evaluation))
    return files
