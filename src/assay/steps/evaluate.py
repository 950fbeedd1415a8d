"""Evaluating models: on the held-out split, and by k-fold cross-validation."""

from __future__ import annotations

from typing import Annotated

from assay.artifacts import Dataset, Metrics, Model
from assay.catalog import Interval, Target, step
from assay.steps.instantiate import build
from assay.steps.metrics import score, summarise
from assay.steps.train import check_task, fit, needs_gpu


@step(outputs={"metrics": Metrics})
def evaluate_model(model: Model, data: Dataset) -> Metrics:
    """Scores the model on ``data`` with every metric of its task."""
    return Metrics(score(model, data.features, data.labels, data.task))


# Each fold fits the same estimator as train_model does, so it needs the same device.
@step(outputs={"metrics": Metrics}, resources=needs_gpu)
def cross_validate_fold(
    data: Dataset,
    *,
    fold: Annotated[int, Interval(0, None)],
    folds: Annotated[int, Interval(2, None)],
    seed: int = 0,
    transformer: Target,
    estimator: Target,
) -> Metrics:
    """Fits features and model on all folds but ``fold`` of ``data`` and scores on ``fold``.

    Folds are stratified for classification and shuffled with ``seed``, so every
    fold node of one run sees the same partition.
    """
    from sklearn.model_selection import KFold, StratifiedKFold

    splitter_type = StratifiedKFold if data.task == "classification" else KFold
    splitter = splitter_type(n_splits=folds, shuffle=True, random_state=seed)
    fit_rows, score_rows = list(splitter.split(data.features, data.labels))[fold]
    train, held_out = data.frame.iloc[fit_rows], data.frame.iloc[score_rows]
    features = build(transformer, "transformer")
    model = build(estimator, "estimator")
    check_task(model, data, "estimator")
    train_x = train.drop(columns=[data.target])
    transformed = features.fit_transform(train_x, train[data.target])
    fit(model, transformed, train[data.target], "estimator")
    held_x = features.transform(held_out.drop(columns=[data.target]))
    metrics = score(model, held_x, held_out[data.target], data.task)
    return Metrics({k: v for k, v in metrics.items() if not isinstance(v, list)} | {"fold": fold})


@step(outputs={"metrics": Metrics})
def summarize_folds(folds: list[Metrics]) -> Metrics:
    """Mean and standard deviation of every metric over the folds."""
    return Metrics(summarise(sorted(folds, key=lambda m: m.get("fold", 0))))
