"""The alert threshold: chosen for a target alert rate on validation, because investigators' capacity, not a
probability of 0.5, is what bounds how many alerts can be worked."""

from __future__ import annotations

import math

import numpy as np


def threshold_for_alert_rate(scores: np.ndarray, target_rate: float) -> tuple[float, float]:
    """Return (threshold, achieved rate) for the rule `score >= threshold`.

    The threshold is the k-th highest validation score with k = ceil(target * n), so at least the target fraction
    alerts; ties at the threshold can push the achieved rate above target, which is why it is recorded too.
    Scores are the float32 ONNX outputs, so the threshold is exactly representable where serving compares it.
    """
    if not 0.0 < target_rate < 1.0:
        raise ValueError(f"--threshold-alert-rate must be in (0, 1), got {target_rate}")
    n = len(scores)
    if n == 0:
        raise ValueError("decision threshold: the validation set is empty")
    k = max(1, math.ceil(target_rate * n))
    ordered = np.sort(np.asarray(scores, dtype=np.float64))[::-1]
    threshold = float(ordered[k - 1])
    achieved = float(np.mean(scores >= threshold))
    return threshold, achieved
