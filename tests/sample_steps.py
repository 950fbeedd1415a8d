"""Small steps used by tests to build pipelines of any shape."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from assay.artifacts import Dataset, Metrics
from assay.catalog import Interval, Resources, step


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


@step(outputs={"metrics": Metrics})
def sample_die(upstream: Metrics) -> Metrics:
    """Ends its own process at once, as the kernel's OOM killer would."""
    import os
    import signal

    os.kill(os.getpid(), signal.SIGKILL)
    raise AssertionError("unreachable")


def _gpu_if_asked(params: Mapping[str, Any]) -> Resources:
    return Resources(gpu=1) if params.get("gpu") else Resources()


@step(outputs={"metrics": Metrics}, resources=_gpu_if_asked)
def sample_where(*, gpu: int = 0, item: int = 0) -> Metrics:
    """The name of the Dask worker that ran it; a non-zero ``gpu`` asks for a GPU."""
    from distributed import get_worker

    return Metrics({"worker": str(get_worker().name), "gpu": gpu, "item": item})
