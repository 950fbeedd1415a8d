"""Fitting models."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from assay.artifacts import Dataset, Model, Transformer
from assay.catalog import Resources, Target, step
from assay.errors import ConfigError, DataError, Problem
from assay.steps.instantiate import build


def needs_gpu(params: Mapping[str, Any]) -> Resources:
    """A GPU when the estimator's ``device`` is CUDA (``cuda`` or ``cuda:N``); ``auto``
    runs wherever the scheduler puts it and uses a GPU only if that worker has one."""
    estimator = params.get("estimator")
    device = str(estimator.get("device", "")) if isinstance(estimator, Mapping) else ""
    return Resources(gpu=1) if device.startswith("cuda") else Resources()


@step(outputs={"model": Model}, resources=needs_gpu)
def train_model(data: Dataset, features: Transformer, *, estimator: Target) -> Model:
    """Fits the configured estimator on the transformed training data.

    Returns one scikit-learn Pipeline (fitted features, then the estimator), so the
    model artifact is self-contained for scoring and serving.
    """
    from sklearn.pipeline import Pipeline

    model = build(estimator, "estimator")
    check_task(model, data, "estimator")
    fit(model, features.transform(data.features), data.labels, "estimator")
    return Model(Pipeline([("features", features), ("estimator", model)]))


def check_task(model: Any, data: Dataset, param: str) -> None:
    """Refuses a classifier on a regression task and the reverse."""
    from sklearn.base import is_classifier, is_regressor

    kind = "classifier" if is_classifier(model) else "regressor" if is_regressor(model) else None
    wanted = {"classification": "classifier", "regression": "regressor"}[data.task]
    if kind is not None and kind != wanted:
        raise DataError(
            Problem(
                f"{type(model).__name__} is a {kind}, but '{data.name}' is a {data.task} task",
                key=param,
                expected=f"a {wanted}",
                hint="pick a model for this task (e.g. model=ridge for regression, "
                "model=logistic for classification) or set data.task",
            )
        )


def fit(model: Any, features: Any, labels: Any, param: str) -> None:
    """``model.fit`` that reports invalid hyperparameters as config errors."""
    from sklearn.utils._param_validation import InvalidParameterError

    try:
        model.fit(features, labels)
    except InvalidParameterError as error:
        raise ConfigError(Problem(str(error), key=param)) from error
