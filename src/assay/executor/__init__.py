"""Executors: run a plan's tasks on Dask, honouring dependencies and the failure policy."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from assay.executor.base import Callbacks, Executor, SequentialExecutor, TaskGraph
from assay.executor.task import InputSpec, TaskOutcome, TaskSpec, run_task


def make_executor(settings: Mapping[str, Any]) -> Executor:
    """The executor the ``executor`` config group describes.

    Dask is imported only here, when something must actually run.
    """
    kind = settings["kind"]
    on_error = settings.get("on_error", "fail")
    if kind == "threads":
        from assay.executor.threads import ThreadsExecutor

        return ThreadsExecutor(settings.get("n_workers"), on_error)
    if kind == "local":
        from assay.executor.distributed import DistributedExecutor

        return DistributedExecutor.local(
            n_workers=settings.get("n_workers"),
            threads_per_worker=settings.get("threads_per_worker", 1),
            memory_limit=settings.get("memory_limit", "auto"),
            dashboard_address=settings.get("dashboard_address"),
            on_error=on_error,
            gpu_workers=settings.get("gpu_workers"),
        )
    if kind == "dask":
        from assay.executor.distributed import DistributedExecutor

        return DistributedExecutor.connect(settings["address"], settings.get("timeout", 10.0),
                                           on_error)
    if kind == "sequential":
        return SequentialExecutor(on_error)
    raise ValueError(f"unknown executor kind {kind!r}")


__all__ = [
    "Callbacks",
    "Executor",
    "InputSpec",
    "SequentialExecutor",
    "TaskGraph",
    "TaskOutcome",
    "TaskSpec",
    "make_executor",
    "run_task",
]
