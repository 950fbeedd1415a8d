"""Evaluation metrics for fitted models, as flat JSON-ready mappings."""

from __future__ import annotations

import math
from typing import Any

CLASSIFICATION_METRICS = (
    "accuracy", "precision", "recall", "f1", "precision_macro", "recall_macro", "f1_macro",
    "roc_auc", "log_loss",
)
REGRESSION_METRICS = ("rmse", "mae", "r2")


def score(model: Any, features: Any, labels: Any, task: str) -> dict[str, Any]:
    """Every metric that applies to ``task``, plus ``n_rows``."""
    if task == "classification":
        result = _classification(model, features, labels)
    else:
        result = _regression(model.predict(features), labels)
    result["n_rows"] = len(labels)
    return result


def _classification(model: Any, features: Any, labels: Any) -> dict[str, Any]:
    import numpy as np
    from sklearn import metrics

    predicted = model.predict(features)
    classes = [c.item() if hasattr(c, "item") else c for c in model.classes_]
    binary = len(classes) == 2
    result: dict[str, Any] = {"accuracy": float(metrics.accuracy_score(labels, predicted))}
    if binary:
        positive = classes[1]
        for name, fn in (("precision", metrics.precision_score),
                         ("recall", metrics.recall_score), ("f1", metrics.f1_score)):
            result[name] = float(fn(labels, predicted, pos_label=positive, zero_division=0))
    for name, fn in (("precision_macro", metrics.precision_score),
                     ("recall_macro", metrics.recall_score), ("f1_macro", metrics.f1_score)):
        result[name] = float(fn(labels, predicted, average="macro", zero_division=0))
    scores = _scores(model, features)
    if scores is not None and len(np.unique(labels)) == len(classes):
        if binary:
            column = scores[:, 1] if scores.ndim == 2 else scores
            result["roc_auc"] = float(metrics.roc_auc_score(labels, column))
        elif scores.ndim == 2:
            result["roc_auc"] = float(
                metrics.roc_auc_score(labels, scores, multi_class="ovr", average="macro",
                                      labels=model.classes_)
            )
    if hasattr(model, "predict_proba"):
        result["log_loss"] = float(
            metrics.log_loss(labels, model.predict_proba(features), labels=model.classes_)
        )
    matrix = metrics.confusion_matrix(labels, predicted, labels=model.classes_)
    result["confusion_matrix"] = matrix.tolist()
    result["labels"] = classes
    return result


def _scores(model: Any, features: Any) -> Any:
    if hasattr(model, "predict_proba"):
        return model.predict_proba(features)
    if hasattr(model, "decision_function"):
        return model.decision_function(features)
    return None


def _regression(predicted: Any, labels: Any) -> dict[str, Any]:
    from sklearn import metrics

    return {
        "rmse": math.sqrt(float(metrics.mean_squared_error(labels, predicted))),
        "mae": float(metrics.mean_absolute_error(labels, predicted)),
        "r2": float(metrics.r2_score(labels, predicted)),
    }


def summarise(folds: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean and standard deviation over folds of every scalar metric."""
    import numpy as np

    skip = {"n_rows", "fold"}
    names = [k for k, v in folds[0].items() if isinstance(v, int | float) and k not in skip]
    result: dict[str, Any] = {"cv_folds": len(folds)}
    for name in names:
        values = np.array([fold[name] for fold in folds if name in fold], dtype=float)
        result[f"cv_{name}_mean"] = float(values.mean())
        result[f"cv_{name}_std"] = float(values.std(ddof=1)) if len(values) > 1 else 0.0
    return result
