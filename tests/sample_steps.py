"""Small steps used by tests to build pipelines of any shape."""

from __future__ import annotations

from typing import Annotated

from assay.artifacts import Dataset, Metrics
from assay.catalog import Interval, step


@step(outputs={"metrics": Metrics})
def sample_constant(*, value: float = 1.0) -> Metrics:
    """A metrics mapping holding ``value``."""
    return Metrics({"value": value})


@step(outputs={"metrics": Metrics})
def sample_add(left: Metrics, right: Metrics, *, offset: Annotated[float, Interval(0, 10)] = 0.0) -> Metrics:
    """The sum of two values plus ``offset``."""
    return Metrics({"value": left["value"] + right["value"] + offset})


@step(outputs={"metrics": Metrics})
def sample_sum(parts: list[Metrics]) -> Metrics:
    """The sum of every part."""
    return Metrics({"value": sum(p["value"] for p in parts), "parts": len(parts)})


@step(outputs={"metrics": Metrics})
def sample_rows(data: Dataset) -> Metrics:
    """How many rows a dataset has."""
    return Metrics({"rows": len(data.frame)})


@step(outputs={"metrics": Metrics})
def sample_fail(upstream: Metrics, *, message: str = "boom") -> Metrics:
    """Always fails, to exercise failure policies."""
    raise ValueError(message)
