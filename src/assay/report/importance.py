"""Permutation importance of a model's raw feature columns, from one batched prediction.

scikit-learn's ``permutation_importance`` calls the model once per column and repeat; a
random forest or a torch model pays a fixed cost per call (joblib dispatch, tensors), which
made it most of a report build. Here every permuted copy of the rows is stacked into one
frame and predicted in a single call, then each copy is scored on its own.
"""

from __future__ import annotations

from typing import Any

from assay.artifacts import Dataset

REPEATS = 5
MAX_ROWS = 2000
MAX_STACKED = 300_000  # rows predicted at once, bounding memory for wide tables


def permutation_importance(model: Any, data: Dataset,
                           seed: int) -> tuple[tuple[str, float, float], ...]:
    """``(column, mean drop, std)`` per feature column, most important first.

    The score is ROC AUC for binary classifiers with probabilities, accuracy for other
    classifiers and R² for regressors; the drop is the score on the intact rows minus the
    score with the column's values shuffled.
    """
    import numpy as np
    import pandas as pd

    features, labels = data.features, np.asarray(data.labels)
    columns = list(features.columns)
    rng = np.random.default_rng([seed, 2])
    rows = min(MAX_ROWS, max(200, MAX_STACKED // max(1, len(columns) * REPEATS)))
    if len(features) > rows:
        keep = np.sort(rng.choice(len(features), rows, replace=False))
        features, labels = features.iloc[keep], labels[keep]
    n = len(features)
    copies = [features]
    for column in columns:
        for _ in range(REPEATS):
            shuffled = features.copy()
            shuffled[column] = features[column].to_numpy()[rng.permutation(n)]
            copies.append(shuffled)
    outputs = _outputs(model, pd.concat(copies, ignore_index=True), data.task)
    measure = _measure(model, data.task, outputs, labels)
    base = measure(outputs[:n], labels)
    drops = np.array([base - measure(outputs[(i + 1) * n:(i + 2) * n], labels)
                      for i in range(len(columns) * REPEATS)]).reshape(len(columns), REPEATS)
    ranked = zip(columns, drops.mean(axis=1), drops.std(axis=1), strict=True)
    return tuple(sorted(((str(c), float(m), float(s)) for c, m, s in ranked),
                        key=lambda t: (-t[1], t[0])))


def _outputs(model: Any, frame: Any, task: str) -> Any:
    import numpy as np

    if task == "classification" and hasattr(model, "predict_proba") and \
            len(getattr(model, "classes_", ())) == 2:
        return np.asarray(model.predict_proba(frame))[:, 1].astype(float)
    return np.asarray(model.predict(frame))


def _measure(model: Any, task: str, outputs: Any, truth_values: Any) -> Any:
    from sklearn.metrics import accuracy_score, r2_score, roc_auc_score  # type: ignore[import-untyped]

    if task == "regression":
        return lambda predicted, truth: float(r2_score(truth, predicted))
    if outputs.dtype.kind == "f" and len(getattr(model, "classes_", ())) == 2 and \
            len(set(truth_values)) == 2:  # AUC needs both classes among the rows
        positive = model.classes_[1]
        return lambda scores, truth: float(roc_auc_score(truth == positive, scores))
    return lambda predicted, truth: float(accuracy_score(truth, predicted))
