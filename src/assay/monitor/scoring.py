"""Scoring a piece of current data with the monitored model: prediction drift and quality.

The model's predictions become one more column of the profile (``PREDICTION``): the
positive-class score for a binary classifier, the predicted class for a multi-class
one, the predicted value for a regressor. When the piece carries labels, the
predictions are also scored against them (:class:`~assay.monitor.performance.Quality`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from assay.monitor.performance import Quality

PREDICTION = "__prediction__"


@dataclass(frozen=True)
class Scorer:
    """How to score a piece: the model (loaded on the worker), its features and target."""

    load_model: Callable[[], Any]
    features: Sequence[str]
    target: str
    task: str

    def predictions(self, frame: Any) -> tuple[Any, Quality | None]:
        """The prediction column for ``frame`` and, with labels present, its quality sums."""
        import pandas as pd

        model = self.load_model()
        features = frame[list(self.features)]
        if self.task == "classification":
            proba = model.predict_proba(features)
            classes = np.asarray(model.classes_)
            predicted = classes[proba.argmax(axis=1)]
            binary = len(classes) == 2
            column = pd.Series(proba[:, 1] if binary else predicted.astype(str))
        else:
            predicted = np.asarray(model.predict(features))
            column = pd.Series(predicted.astype(float))
            binary, classes = False, np.array([])
        if self.target not in frame.columns:
            return column, None
        labels = frame[self.target].to_numpy()
        quality = Quality(self.task)
        if self.task == "classification" and binary:
            quality.add((labels == classes[1]).astype(int),
                        (predicted == classes[1]).astype(int), proba[:, 1])
        else:
            quality.add(labels, predicted, None)
        return column, quality


def prediction_frame(frame: Any, scorer: Scorer | None) -> tuple[Any, Quality | None]:
    """``frame`` with the prediction column added; unchanged without a scorer, and
    without rows (a model refuses to predict for none)."""
    if scorer is None or not len(frame):
        return frame, None
    column, quality = scorer.predictions(frame)
    scored = frame.copy()
    scored[PREDICTION] = column.to_numpy()
    return scored, quality
