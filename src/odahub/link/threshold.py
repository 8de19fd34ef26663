"""Choosing the match threshold and the clerical review band from the model itself.

Treating each candidate pair's match probability as the model's belief, the expected true
positives above a threshold t are Σ p, the expected false positives Σ (1 − p), and the expected
missed matches Σ p below t. We pick the t that maximises the expected F-beta (beta < 1 weighs
precision higher: a false link puts a stranger's history on someone's record). The review band is
the pairs within REVIEW_BITS of the threshold's match weight: a Bayes factor of at most 2^bits
either way, where a person's judgement adds most.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from odahub.link.model import probability_to_weight, weight_to_probability

BETA = 0.5
REVIEW_BITS = 3.0
LOWEST, HIGHEST = 0.5, 0.999


def choose_threshold(probabilities: pa.Array | pa.ChunkedArray) -> dict[str, float]:
    p = np.sort(np.asarray(probabilities.to_numpy(zero_copy_only=False), dtype=float))[::-1]
    if p.size == 0:
        return _band(0.9) | {"expected_precision": 1.0, "expected_recall": 1.0}
    true_above = np.cumsum(p)
    false_above = np.cumsum(1 - p)
    missed = true_above[-1] - true_above
    precision = true_above / (true_above + false_above)
    recall = true_above / max(true_above[-1], 1e-12)
    beta2 = BETA ** 2
    f_beta = (1 + beta2) * precision * recall / np.maximum(beta2 * precision + recall, 1e-12)
    eligible = (p >= LOWEST) & (p <= HIGHEST)
    scores = np.where(eligible, f_beta, -1.0)
    best = int(np.argmax(scores)) if eligible.any() else 0
    threshold = float(np.clip(p[best], LOWEST, HIGHEST))
    return _band(threshold) | {
        "expected_precision": round(float(precision[best]), 5),
        "expected_recall": round(float(recall[best]), 5),
        "expected_missed": round(float(missed[best]), 2),
    }


def _band(threshold: float) -> dict[str, float]:
    weight = probability_to_weight(threshold)
    return {"threshold": threshold,
            "review_low": weight_to_probability(weight - REVIEW_BITS),
            "review_high": weight_to_probability(weight + REVIEW_BITS)}
