"""The kinds of value that flow between steps.

A step's inputs and outputs are annotated with these types; the compiler checks
that every edge connects equal kinds, and the store picks how to persist a value
from its kind. Nothing here imports pandas or scikit-learn: annotations must stay
cheap to evaluate at compile time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, NewType

if TYPE_CHECKING:
    import pandas as pd

Task = Literal["classification", "regression"]
TASKS: tuple[str, ...] = ("classification", "regression")


@dataclass(frozen=True)
class Dataset:
    """A table with a known target column and learning task.

    Attributes:
        frame: The data, features and target together.
        target: Name of the target column in ``frame``.
        task: ``classification`` or ``regression``.
        name: A human name for the data source (for messages and lineage).
    """

    frame: pd.DataFrame
    target: str
    task: Task
    name: str = "dataset"

    @property
    def features(self) -> pd.DataFrame:
        """Every column but the target."""
        return self.frame.drop(columns=[self.target])

    @property
    def labels(self) -> pd.Series[Any]:
        """The target column."""
        return self.frame[self.target]

    def with_frame(self, frame: pd.DataFrame) -> Dataset:
        """The same dataset description over other rows."""
        return Dataset(frame=frame, target=self.target, task=self.task, name=self.name)


Model = NewType("Model", object)
"""A fitted estimator with ``predict`` (and ``predict_proba`` for classifiers)."""

Transformer = NewType("Transformer", object)
"""A fitted feature transformer with ``transform``."""

Metrics = NewType("Metrics", dict)  # type: ignore[type-arg]
"""A flat JSON-serialisable mapping of metric names to values."""


ARTIFACT_KINDS: dict[object, str] = {
    Dataset: "dataset",
    Model: "model",
    Transformer: "transformer",
    Metrics: "metrics",
}
"""Annotation type → kind name. The kind name is what plans and manifests record."""


def kind_of(annotation: object) -> str | None:
    """The artifact kind an annotation denotes, or None if it is not an artifact type."""
    return ARTIFACT_KINDS.get(annotation)
