"""A model version's evaluation for its model card, computed once and stored as plain data.

The model predicts once, on at most ``max_rows`` test rows (a seeded uniform subsample
when there are more, so a large test set costs a bounded time). Everything else works
from those stored predictions: headline metrics with 95% bootstrap percentile intervals
(:mod:`assay.report.bootstrap`), metrics per slice of chosen columns, and the curves the
plots draw. Only permutation importance calls the model again, once, on stacked
shuffled copies of a bounded sample (:mod:`assay.report.importance`). Every random
choice is seeded: the same inputs give the same :class:`Evaluation`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from assay.artifacts import Dataset
from assay.errors import ConfigError, Problem, did_you_mean, one_of
from assay.report.bootstrap import Outcomes, intervals
from assay.report.curves import classification_curves, regression_curves
from assay.report.importance import permutation_importance
from assay.steps.metrics import encode_labels, index_of, score

HEADLINE = {"classification": ("accuracy", "f1", "roc_auc", "log_loss"), "regression": ("rmse", "mae", "r2")}
"""Metrics shown with intervals, where they apply; ``f1`` means ``f1_macro`` for more than two classes."""

MAX_GROUPS = 20


@dataclass(frozen=True)
class MetricEstimate:
    """A metric on the whole evaluation set and its 95% bootstrap percentile interval."""

    name: str
    value: float
    low: float
    high: float


@dataclass(frozen=True)
class SliceMetrics:
    """The headline metrics on the rows where ``column`` has one value (or falls in one bin)."""

    column: str
    value: str
    rows: int
    metrics: Mapping[str, float]


@dataclass(frozen=True)
class Evaluation:
    """Everything a model card shows about how well a model does on its test data.

    Attributes:
        task: ``classification`` or ``regression``.
        rows: Rows evaluated (after subsampling to ``max_rows``).
        metrics: Headline metrics with intervals.
        slices: Metrics per group of each slice column, groups in value (or bin) order.
        importance: ``(column, mean, std)`` permutation importance, most important first.
        curves: Plain lists for the plots, keyed by plot (``roc``, ``pr``, ``calibration``,
            ``confusion``, ``residuals``, ``predicted_vs_actual``).
    """

    task: str
    rows: int
    metrics: tuple[MetricEstimate, ...]
    slices: tuple[SliceMetrics, ...]
    importance: tuple[tuple[str, float, float], ...]
    curves: Mapping[str, Any]

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data; a metric that could not be computed (NaN) becomes None."""
        import copy

        return {
            "task": self.task,
            "rows": self.rows,
            "metrics": [{"name": m.name, "value": _finite(m.value), "low": _finite(m.low),
                         "high": _finite(m.high)} for m in self.metrics],
            "slices": [{"column": s.column, "value": s.value, "rows": s.rows,
                        "metrics": {k: _finite(v) for k, v in s.metrics.items()}} for s in self.slices],
            "importance": [{"column": c, "mean": _finite(m), "std": _finite(s)}
                           for c, m, s in self.importance],
            "curves": copy.deepcopy(dict(self.curves)),
        }


def evaluate(model: Any, data: Dataset, *, slices: Sequence[str] = (), seed: int = 0,
             resamples: int = 1000, max_rows: int = 20_000) -> Evaluation:
    """Evaluates a fitted model (a scikit-learn estimator or pipeline) on test data.

    Args:
        model: Has ``predict``; classifiers also ``classes_`` and ``predict_proba`` or
            ``decision_function``.
        data: The test set.
        slices: Columns of ``data.frame`` to report metrics per value of; a numeric column
            with more than 10 distinct values is cut at its quartiles.
        seed: Seeds the subsample, the bootstrap and the permutations.
        resamples: Bootstrap resamples per interval.
        max_rows: The most rows evaluated; a larger test set is subsampled uniformly.

    Returns:
        The evaluation. A metric's ``low`` and ``high`` are NaN where it got no interval
        (a many-class ROC AUC beyond ``bootstrap.AUC_BUDGET``, or no resample defined it).

    Raises:
        ConfigError: A slice column is not in the data.
    """
    import numpy as np

    _check_slices(data, slices)
    data = _subsample(data, max_rows, seed)
    stored, outcomes = _predict(model, data)
    rows = np.arange(len(data.frame))
    labels = np.asarray(data.labels)
    point = score(stored, rows, labels, data.task)
    names = _headline(data.task, outcomes.n_classes, point)
    bounds = intervals(outcomes, names, resamples, seed)
    return Evaluation(
        task=data.task,
        rows=len(rows),
        metrics=tuple(MetricEstimate(n, float(point[n]), *bounds[n]) for n in names),
        slices=tuple(_slices(stored, data, slices, names)),
        importance=permutation_importance(model, data, seed),
        curves=classification_curves(outcomes, point) if outcomes.n_classes
        else regression_curves(outcomes, seed),
    )


def _headline(task: str, n_classes: int, point: Mapping[str, Any]) -> tuple[str, ...]:
    """The headline metrics ``score`` gave for this model and data."""
    names = HEADLINE[task]
    if n_classes > 2:
        names = tuple("f1_macro" if n == "f1" else n for n in names)
    return tuple(n for n in names if n in point)


def _check_slices(data: Dataset, slices: Sequence[str]) -> None:
    columns = [str(c) for c in data.frame.columns]
    problems = [Problem(f"slice column '{c}' is not in the test data '{data.name}'", key="slices",
                        expected=one_of(columns), got=c, hint=did_you_mean(c, columns))
                for c in slices if c not in data.frame.columns]
    if problems:
        raise ConfigError(problems)


def _subsample(data: Dataset, max_rows: int, seed: int) -> Dataset:
    import numpy as np

    if len(data.frame) <= max_rows:
        return data
    rows = np.sort(np.random.default_rng([seed, 0]).choice(len(data.frame), max_rows, replace=False))
    return data.with_frame(data.frame.iloc[rows])


def _predict(model: Any, data: Dataset) -> tuple[Any, Outcomes]:
    """Predicts once. Returns a stand-in model that answers ``score`` from the stored
    predictions (its "features" are row positions), and the encoded outcomes."""
    import numpy as np

    features, labels = data.features, np.asarray(data.labels)
    predicted = np.asarray(model.predict(features))
    stored = SimpleNamespace(predict=lambda rows: predicted[rows])
    if data.task == "regression":
        return stored, Outcomes(labels.astype(float), predicted.astype(float), None, False, 0)
    classes = np.asarray(model.classes_)
    stored.classes_ = classes
    scores, probabilistic = None, hasattr(model, "predict_proba")
    if probabilistic:
        scores = np.asarray(model.predict_proba(features))
        stored.predict_proba = lambda rows: scores[rows]
    elif hasattr(model, "decision_function"):
        scores = np.asarray(model.decision_function(features))
        stored.decision_function = lambda rows: scores[rows]
    outcomes = Outcomes(encode_labels(classes, labels), index_of(classes, predicted), scores,
                        probabilistic, len(classes))
    return stored, outcomes


def _slices(stored: Any, data: Dataset, columns: Sequence[str],
            names: tuple[str, ...]) -> list[SliceMetrics]:
    import numpy as np

    labels = np.asarray(data.labels)
    result = []
    for column in columns:
        for value, rows in _groups(data.frame[column]):
            metrics = score(stored, rows, labels[rows], data.task)
            result.append(SliceMetrics(str(column), value, len(rows),
                                       {n: float(metrics[n]) for n in names if n in metrics}))
    return result


def _groups(series: Any) -> list[tuple[str, Any]]:
    """``(label, row positions)`` per value or quartile bin; missing values form their own
    group and the smallest groups beyond ``MAX_GROUPS`` are pooled, so groups partition rows."""
    import numpy as np
    import pandas as pd

    present = series.notna().to_numpy()
    codes = np.full(len(series), -1)
    numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
    if numeric and series.nunique() > 10:
        names, codes[present] = _quartiles(series.to_numpy(dtype=float)[present])
    else:
        codes[present], uniques = pd.factorize(series[present].astype(str), sort=True)
        names = [str(u) for u in uniques]
    groups = [(name, np.flatnonzero(codes == i)) for i, name in enumerate(names)]
    groups = [g for g in groups if len(g[1])]
    if not present.all():
        groups.append(("(missing)", np.flatnonzero(~present)))
    if len(groups) <= MAX_GROUPS:
        return groups
    largest = sorted(sorted(range(len(groups)), key=lambda i: -len(groups[i][1]))[:MAX_GROUPS - 1])
    rest = [rows for i, (_, rows) in enumerate(groups) if i not in largest]
    return [groups[i] for i in largest] + [("(other)", np.sort(np.concatenate(rest)))]


def _quartiles(values: Any) -> tuple[list[str], Any]:
    """Bin labels ``[low, high)`` (the last one closed) and each value's bin."""
    import itertools

    import numpy as np

    edges = np.unique(np.quantile(values, [0, 0.25, 0.5, 0.75, 1]))
    codes = np.searchsorted(edges[1:-1], values, side="right")
    names = [f"[{low:.4g}, {high:.4g})" for low, high in itertools.pairwise(edges)]
    names[-1] = names[-1][:-1] + "]"
    return names, codes


def _finite(value: float) -> float | None:
    import math

    return value if math.isfinite(value) else None
