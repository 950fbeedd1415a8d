"""Registering a trained model: the part of a version that needs the values themselves.

The step describes what was trained and on what (the estimator, each dataset's schema
and row count, the evaluation metrics). The run that executes the plan turns that
record into the immutable version ``NAME:vN`` together with what only it knows: the
run, the config, the fingerprints and the code (:mod:`assay.registry.versions`).
Because the record is an ordinary cached output, re-running an unchanged plan finds it
in the store and the registry reports the version it already made.
"""

from __future__ import annotations

import re
from typing import Any

from assay.artifacts import Dataset, Metrics, Model
from assay.catalog import step
from assay.config.schema import MODEL_NAME_PATTERN, MODEL_NAME_RULE
from assay.errors import ConfigError, Problem


@step(outputs={"record": Metrics})
def register_model(
    model: Model, data: Dataset, train: Dataset, test: Dataset, metrics: Metrics, *,
    name: str | None = None,
) -> Metrics:
    """Describes the model version to register under ``name`` (default: the estimator's).

    Args:
        model: The fitted model.
        data: The dataset that was split into ``train`` and ``test``.
        train: The data it was fitted on.
        test: The data it was evaluated on.
        metrics: Its evaluation metrics.
        name: The registry name; versions are ``NAME:v1``, ``NAME:v2``, ...
    """
    estimator = _final_estimator(model)
    chosen = name or _default_name(estimator)
    if not MODEL_NAME_PATTERN.match(chosen):
        raise ConfigError(Problem(f"'{chosen}' cannot be a model name", key="name",
                                  expected=MODEL_NAME_RULE))
    return Metrics({
        "name": chosen,
        "estimator": _public_path(type(estimator)),
        "task": train.task,
        "target": train.target,
        "datasets": {"data": describe_dataset(data), "train": describe_dataset(train),
                     "test": describe_dataset(test)},
        "metrics": dict(metrics),
        "training": _training(estimator),
    })


def describe_dataset(data: Dataset) -> dict[str, Any]:
    """A dataset's name, row count and schema (column → dtype), in column order."""
    return {
        "name": data.name,
        "rows": len(data.frame),
        "columns": {str(c): str(t) for c, t in data.frame.dtypes.items()},
    }


def _training(estimator: Any) -> dict[str, Any] | None:
    """A torch model's per-epoch curve and how it was trained; None for other models."""
    history = getattr(estimator, "history_", None)
    if history is None:
        return None
    return {"history": list(history), "best_epoch": getattr(estimator, "best_epoch_", None),
            "device": getattr(estimator, "trained_on_", None),
            "resumed_from_epoch": getattr(estimator, "resumed_from_epoch_", None)}


def _final_estimator(model: Any) -> Any:
    steps = getattr(model, "steps", None)
    return steps[-1][1] if steps else model


def _public_path(cls: type) -> str:
    """``sklearn.linear_model.LogisticRegression``, without private modules (``._logistic``)."""
    public = [p for p in cls.__module__.split(".") if not p.startswith("_")]
    return ".".join([*public, cls.__qualname__])


def _default_name(estimator: Any) -> str:
    """``LogisticRegression`` → ``logistic-regression``, ``MLPClassifier`` → ``mlp-classifier``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "-",
                  type(estimator).__name__).lower()
