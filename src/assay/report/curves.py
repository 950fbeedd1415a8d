"""The curves a model card plots, as plain lists of floats small enough to store as JSON.

Curves are thinned to at most ``CURVE_POINTS`` points and scatter plots sampled to
``SCATTER_POINTS`` rows; values are rounded to 6 digits.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from assay.report.bootstrap import Outcomes

CURVE_POINTS = 200
SCATTER_POINTS = 2000


def classification_curves(o: Outcomes, point: Mapping[str, Any]) -> dict[str, Any]:
    """The confusion matrix (from ``score``'s ``point`` result); for two classes with scores also
    ROC and precision-recall curves, and calibration when the scores are probabilities."""
    from sklearn.calibration import calibration_curve  # type: ignore[import-untyped]
    from sklearn.metrics import precision_recall_curve, roc_curve  # type: ignore[import-untyped]

    curves: dict[str, Any] = {"confusion": {"labels": list(point["labels"]),
                                            "matrix": point["confusion_matrix"]}}
    positive = o.truth == 1
    if o.n_classes != 2 or o.scores is None or (o.truth < 0).any() or positive.all() or not positive.any():
        return curves
    column = o.scores[:, 1] if o.scores.ndim == 2 else o.scores
    fpr, tpr, _ = roc_curve(positive, column)
    curves["roc"] = dict(zip(("fpr", "tpr"), _thin(fpr, tpr), strict=True))
    precision, recall, _ = precision_recall_curve(positive, column)
    curves["pr"] = dict(zip(("recall", "precision"), _thin(recall, precision), strict=True))
    if o.probabilistic:
        observed, predicted = calibration_curve(positive, column, n_bins=10)
        curves["calibration"] = {"predicted": _plain(predicted), "observed": _plain(observed)}
    return curves


def regression_curves(o: Outcomes, seed: int) -> dict[str, Any]:
    """Residuals and predicted against actual values, on a seeded sample of ``SCATTER_POINTS`` rows."""
    import numpy as np

    rows = np.arange(len(o.truth))
    if len(rows) > SCATTER_POINTS:
        rows = np.sort(np.random.default_rng([seed, 3]).choice(rows, SCATTER_POINTS, replace=False))
    actual, predicted = o.truth[rows], o.predicted[rows]
    return {"residuals": {"predicted": _plain(predicted), "residual": _plain(actual - predicted)},
            "predicted_vs_actual": {"actual": _plain(actual), "predicted": _plain(predicted)}}


def _thin(*arrays: Any) -> list[list[float]]:
    """Paired arrays cut to at most ``CURVE_POINTS`` evenly spaced points, ends kept."""
    import numpy as np

    keep = np.unique(np.linspace(0, len(arrays[0]) - 1, CURVE_POINTS).round().astype(int))
    return [_plain(np.asarray(a)[keep]) for a in arrays]


def _plain(values: Any) -> list[float]:
    return [round(float(v), 6) for v in values]
