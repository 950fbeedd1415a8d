"""Model quality on current data, accumulated piece by piece when labels are present.

Every statistic here is a sum, so pieces merge by addition: for classification the
count of correct predictions and, for binary tasks, each class's histogram of scores
on 1,000 fixed bins of [0, 1] (ROC AUC from those histograms is exact up to ties
within a bin: at most 0.001 of the scores' range apart); for regression the sums that
give RMSE, MAE and R². A metric's "drop" is how much worse it is than the one recorded
when the version was evaluated (a rise for errors and losses).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

SCORE_BINS = 1000
MEASURED: dict[str, tuple[str, ...]] = {"classification": ("accuracy", "roc_auc"),
                                        "regression": ("rmse", "mae", "r2")}
"""The metrics :meth:`Quality.metrics` can give, per task: the only ones with a drop."""
LOWER_IS_BETTER = frozenset({"rmse", "mae"})


@dataclass
class Quality:
    """Mergeable sums of one model's predictions against labels."""

    task: str
    rows: int = 0
    correct: int = 0
    positive_scores: np.ndarray = field(default_factory=lambda: np.zeros(SCORE_BINS, np.int64))
    negative_scores: np.ndarray = field(default_factory=lambda: np.zeros(SCORE_BINS, np.int64))
    squared_error: float = 0.0
    absolute_error: float = 0.0
    label_sum: float = 0.0
    label_sum_sq: float = 0.0

    def add(self, labels: np.ndarray, predicted: np.ndarray, scores: np.ndarray | None) -> None:
        """Adds one piece: labels, predictions, and positive-class scores (binary only)."""
        self.rows += len(labels)
        if self.task == "classification":
            self.correct += int(np.sum(predicted == labels))
            if scores is not None:
                bins = np.clip((scores * SCORE_BINS).astype(int), 0, SCORE_BINS - 1)
                positive = labels == 1
                self.positive_scores += np.bincount(bins[positive], minlength=SCORE_BINS)
                self.negative_scores += np.bincount(bins[~positive], minlength=SCORE_BINS)
            return
        values = labels.astype(float)
        error = predicted.astype(float) - values
        self.squared_error += float(np.square(error).sum())
        self.absolute_error += float(np.abs(error).sum())
        self.label_sum += float(values.sum())
        self.label_sum_sq += float(np.square(values).sum())

    def merge(self, other: Quality) -> None:
        """Adds another piece's sums."""
        self.rows += other.rows
        self.correct += other.correct
        self.positive_scores = self.positive_scores + other.positive_scores
        self.negative_scores = self.negative_scores + other.negative_scores
        self.squared_error += other.squared_error
        self.absolute_error += other.absolute_error
        self.label_sum += other.label_sum
        self.label_sum_sq += other.label_sum_sq

    def metrics(self) -> dict[str, float]:
        """The metrics the sums give (nothing without rows): of ``MEASURED[task]``, those
        the data allows (ROC AUC needs both classes, R² labels that vary)."""
        if not self.rows:
            return {}
        if self.task == "classification":
            found = {"accuracy": self.correct / self.rows}
            auc = binned_roc_auc(self.positive_scores, self.negative_scores)
            if auc is not None:
                found["roc_auc"] = auc
            return found
        mean = self.label_sum / self.rows
        total = self.label_sum_sq - self.rows * mean * mean
        found = {"rmse": float(np.sqrt(self.squared_error / self.rows)),
                 "mae": self.absolute_error / self.rows}
        if total > 0:
            found["r2"] = 1.0 - self.squared_error / total
        return found


def binned_roc_auc(positive: np.ndarray, negative: np.ndarray) -> float | None:
    """ROC AUC from per-class score histograms: P(positive scores above negative), ties
    (same bin) counting a half. None when a class is absent."""
    n_pos, n_neg = positive.sum(), negative.sum()
    if not n_pos or not n_neg:
        return None
    below = np.cumsum(negative) - negative  # negatives in lower bins
    wins = np.sum(positive * below) + 0.5 * np.sum(positive * negative)
    return float(wins / (n_pos * n_neg))


def drop_names(task: str, recorded: Mapping[str, Any]) -> set[str]:
    """The ``<metric>_drop`` figures a check can give for a model of ``task`` whose
    evaluation recorded ``recorded``: metrics measured on current data and recorded then."""
    return {f"{name}_drop" for name in MEASURED.get(task, ())
            if isinstance(recorded.get(name), int | float)}


def drops(recorded: Mapping[str, Any], current: Mapping[str, float]) -> dict[str, float]:
    """``<metric>_drop`` for each metric measured now and recorded then: how much worse."""
    found = {}
    for name, value in current.items():
        then = recorded.get(name)
        if isinstance(then, int | float):
            found[f"{name}_drop"] = (value - then) if name in LOWER_IS_BETTER else (then - value)
    return found
