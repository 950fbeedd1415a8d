"""Bootstrap confidence intervals for headline metrics, from stored predictions.

A resample is drawn as a row of multiplicities (how often each row was picked). Every
metric but ROC AUC is then a function of a few weighted sums over rows, and a block of
resamples gets all its sums from one matrix product; ROC AUC is a weighted pair count
over rows sorted once by score. 1000 resamples of 20,000 rows take well under a second
and the model is never called again. With all weights 1 each statistic equals the value
:func:`assay.steps.metrics.score` gives (the tests check this).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from assay.steps.metrics import row_log_losses

BLOCK = 100
"""Resamples drawn at once: bounds memory to BLOCK x rows weights."""

AUC_BUDGET = 200_000
"""Rows x classes above which a multiclass ROC AUC gets no interval: each class's one-vs-rest
AUC needs the weights reordered by that class's scores, a cost that grows with both."""


@dataclass(frozen=True)
class Outcomes:
    """What one evaluation predicted, encoded for weighted statistics.

    Attributes:
        truth: Each row's class index (``n_classes`` and up for labels the model never saw,
            see :func:`assay.steps.metrics.encode_labels`) or its target value.
        predicted: Each row's predicted class index, or its predicted value.
        scores: Class scores, ``(rows, classes)`` or ``(rows,)`` for a binary decision function;
            None for regression or a model without scores.
        probabilistic: Whether ``scores`` are probabilities (log loss needs them).
        n_classes: Number of classes (0 for regression).
    """

    truth: Any
    predicted: Any
    scores: Any
    probabilistic: bool
    n_classes: int


Statistic = Callable[[Any, Any], Any]
"""``(sums, weights)`` of a block of resamples → one value per resample."""


def intervals(outcomes: Outcomes, names: tuple[str, ...], resamples: int,
              seed: int) -> dict[str, tuple[float, float]]:
    """The 95% percentile interval of each metric in ``names`` over ``resamples`` draws;
    ``(nan, nan)`` for a metric that is not bootstrapped (see ``AUC_BUDGET``)."""
    import numpy as np

    columns, statistics = _statistics(outcomes)
    wanted = {name: statistics[name] for name in names if name in statistics}
    rng = np.random.default_rng([seed, 1])
    draws: dict[str, list[Any]] = {name: [] for name in wanted}
    for start in range(0, resamples, BLOCK):
        weights = _weights(rng, min(BLOCK, resamples - start), len(columns))
        sums = weights @ columns
        for name, statistic in wanted.items():
            draws[name].append(statistic(sums, weights))
    result = {name: (float("nan"), float("nan")) for name in names}
    for name, parts in draws.items():
        values = np.concatenate(parts)
        values = values[np.isfinite(values)]  # a resample that lost a class has no AUC
        if len(values):
            low, high = np.percentile(values, [2.5, 97.5])
            result[name] = (float(low), float(high))
    return result


def _statistics(outcomes: Outcomes) -> tuple[Any, dict[str, Statistic]]:
    """The per-row columns whose weighted sums the metrics need, and each metric's statistic."""
    if not outcomes.n_classes:
        return _regression(outcomes)
    if outcomes.n_classes == 2 and outcomes.scores is not None:
        # Every metric but AUC ignores row order, so the rows are put in AUC order once
        # instead of the weights being reordered for every block.
        outcomes = _reordered(outcomes, _auc_order(outcomes.truth == 1, _positive_score(outcomes)))
    return _classification(outcomes)


def _weights(rng: Any, count: int, rows: int) -> Any:
    """``count`` resamples as multiplicities: one bincount over offset row indices."""
    import numpy as np

    picks = rng.integers(0, rows, size=(count, rows)) + (np.arange(count) * rows)[:, None]
    return np.bincount(picks.ravel(), minlength=count * rows).reshape(count, rows).astype(float)


def _classification(o: Outcomes) -> tuple[Any, dict[str, Statistic]]:
    import numpy as np

    k, rows = o.n_classes, len(o.truth)
    known = o.truth < k
    width = max(k, int(o.truth.max(initial=-1)) + 1)  # unseen labels are classes of their own
    actual = np.zeros((rows, width))
    actual[np.arange(rows), o.truth] = 1.0
    chosen = np.zeros((rows, width))
    chosen[np.arange(rows), o.predicted] = 1.0
    losses = row_log_losses(o.scores, o.truth) if o.probabilistic and known.all() else np.zeros(rows)
    correct = o.truth == o.predicted
    columns = np.column_stack([np.ones(rows), correct, losses, actual * chosen, chosen, actual])
    hits, guessed = slice(3, 3 + width), slice(3 + width, 3 + 2 * width)
    true = slice(3 + 2 * width, 3 + 3 * width)

    def f1(sums: Any, _: Any) -> Any:
        tp, both = sums[:, hits], sums[:, guessed] + sums[:, true]
        with np.errstate(divide="ignore", invalid="ignore"):
            per_class = np.where(both > 0, 2 * tp / both, 0.0)
        if k == 2:
            return per_class[:, 1]  # the positive class is classes_[1]
        seen = both > 0  # macro over the classes in truth or predictions, as score does
        return (per_class * seen).sum(axis=1) / seen.sum(axis=1)

    result: dict[str, Statistic] = {"accuracy": lambda s, _: s[:, 1] / s[:, 0],
                                    "f1" if k == 2 else "f1_macro": f1}
    if o.scores is not None and known.all() and (k == 2 or rows * k <= AUC_BUDGET):
        result["roc_auc"] = _auc_statistic(o)
    if o.probabilistic and known.all():
        result["log_loss"] = lambda s, _: s[:, 2] / s[:, 0]
    return columns, result


def _positive_score(o: Outcomes) -> Any:
    return o.scores[:, 1] if o.scores.ndim == 2 else o.scores


def _auc_statistic(o: Outcomes) -> Statistic:
    """Binary ROC AUC for class 1 (rows already in AUC order), or the macro one-vs-rest mean."""
    import numpy as np

    if o.n_classes == 2:
        return _sorted_auc(o.truth == 1, _positive_score(o))
    per_class = []
    for c in range(o.n_classes):
        order = _auc_order(o.truth == c, o.scores[:, c])
        per_class.append((order, _sorted_auc(o.truth[order] == c, o.scores[order, c])))
    return lambda _, w: np.mean([auc(None, w[:, order]) for order, auc in per_class], axis=0)


def _auc_order(positive: Any, score: Any) -> Any:
    """Rows by score, positives first among equal scores (so ties can be added separately)."""
    import numpy as np

    return np.lexsort((~positive, score))


def _sorted_auc(positive: Any, score: Any) -> Statistic:
    """ROC AUC with row weights, rows in :func:`_auc_order`: the weighted share of (positive,
    negative) pairs ranked correctly, a tie counting half."""
    import numpy as np

    pos, neg = positive.astype(float), (~positive).astype(float)
    tied_start = np.r_[False, score[1:] == score[:-1]]  # rows equal to the row before
    tied = np.flatnonzero(tied_start | np.r_[tied_start[1:], False])
    starts = np.flatnonzero(~tied_start[tied])  # where each tie group begins, among tied rows

    def auc(_: Any, w: Any) -> Any:
        negatives_so_far = np.cumsum(w * neg, axis=1)  # at a positive row: negatives below it
        pairs = np.einsum("ij,ij,j->i", negatives_so_far, w, pos)
        if len(tied):
            # Positives come first within a tie group, so its negatives were not counted yet.
            sub = w[:, tied]
            pairs += 0.5 * (np.add.reduceat(sub * pos[tied], starts, axis=1)
                            * np.add.reduceat(sub * neg[tied], starts, axis=1)).sum(axis=1)
        total = (w @ pos) * (w @ neg)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(total > 0, pairs / total, np.nan)

    return auc


def _reordered(o: Outcomes, order: Any) -> Outcomes:
    return replace(o, truth=o.truth[order], predicted=o.predicted[order], scores=o.scores[order])


def _regression(o: Outcomes) -> tuple[Any, dict[str, Statistic]]:
    import numpy as np

    truth = o.truth.astype(float)
    error = o.predicted.astype(float) - truth
    truth = truth - truth.mean()  # R² is shift-invariant; centring keeps the sums below exact
    columns = np.column_stack([np.ones(len(truth)), error**2, np.abs(error), truth, truth**2])

    def r2(s: Any, _: Any) -> Any:
        total = s[:, 4] - s[:, 3] ** 2 / s[:, 0]  # the weighted sum of squares about the mean
        with np.errstate(divide="ignore", invalid="ignore"):
            # a constant target: 1 for perfect predictions, else 0 (as r_squared)
            return np.where(total > 0, 1 - s[:, 1] / total, np.where(s[:, 1] == 0, 1.0, 0.0))

    return columns, {
        "rmse": lambda s, _: np.sqrt(s[:, 1] / s[:, 0]),
        "mae": lambda s, _: s[:, 2] / s[:, 0],
        "r2": r2,
    }
