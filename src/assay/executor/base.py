"""The executor contract: run tasks in dependency order, report each outcome.

:meth:`Executor.run` validates the task graph and times the run; subclasses
implement :meth:`Executor._run`. The :class:`SequentialExecutor` is the reference:
every other executor must produce the same outcomes and artifacts.
"""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from assay.errors import StepFailure
from assay.executor.task import TaskOutcome, TaskSpec, run_task

log = logging.getLogger(__name__)

OnOutcome = Callable[[TaskOutcome], None]
OnStart = Callable[[str], None]


@dataclass(frozen=True)
class TaskGraph:
    """Tasks to run and, for each, the tasks (of this run) it waits for."""

    tasks: Mapping[str, TaskSpec]
    depends: Mapping[str, tuple[str, ...]]
    order: tuple[str, ...]

    def validate(self) -> None:
        """Every dependency is a task of the graph and comes earlier in ``order``."""
        seen: set[str] = set()
        for node in self.order:
            missing = [d for d in self.depends.get(node, ()) if d not in seen]
            if missing:
                raise ValueError(f"task {node} depends on {missing}, not scheduled before it")
            seen.add(node)
        if seen != set(self.tasks):
            raise ValueError("order does not list every task exactly once")


@dataclass
class Callbacks:
    """Progress hooks, always called in the thread that called :meth:`Executor.run`."""

    started: OnStart = lambda node: None
    finished: OnOutcome = lambda outcome: None


class Executor(ABC):
    """Runs a :class:`TaskGraph`.

    Args:
        on_error: ``fail`` stops at the first failure (tasks already running finish);
            ``keep-going`` runs everything that does not depend on a failure.
    """

    name = "executor"

    def __init__(self, on_error: str = "fail") -> None:
        self.on_error = on_error

    def run(self, graph: TaskGraph, callbacks: Callbacks | None = None) -> dict[str, TaskOutcome]:
        """Runs every task; returns an outcome per task that ran, failed or was skipped.

        Tasks never reached because the run stopped early have no outcome.
        """
        graph.validate()
        callbacks = callbacks or Callbacks()
        started = time.perf_counter()
        outcomes = self._run(graph, callbacks) if graph.tasks else {}
        log.debug("%s ran %d tasks in %.3fs", self.name, len(outcomes), time.perf_counter() - started)
        return outcomes

    @abstractmethod
    def _run(self, graph: TaskGraph, callbacks: Callbacks) -> dict[str, TaskOutcome]:
        """Runs the tasks; must honour ``on_error``."""

    def describe(self) -> str:
        """One line about where tasks run (shown before a run)."""
        return self.name

    def gpu_capacity(self) -> int:
        """How many GPUs tasks can be given: in-process executors have the machine's."""
        from assay.executor.gpus import machine_gpus

        return machine_gpus()

    def close(self) -> None:  # noqa: B027  (most executors hold nothing to release)
        """Releases what the executor started (cluster, client)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def crashed(spec: TaskSpec, error: object) -> TaskOutcome:
    """The outcome of a task that died outside the step (worker lost, unpicklable result)."""
    failure = StepFailure(
        node=spec.node,
        step=spec.step,
        fingerprint=spec.fingerprint,
        error_type=type(error).__name__,
        message=str(error),
        traceback="",
        log_path=spec.log_path,
    )
    return TaskOutcome(spec.node, "failed", time.time(), 0.0, failure)


def skipped(node: str) -> TaskOutcome:
    """The outcome of a task not run because an upstream task failed."""
    return TaskOutcome(node, "skipped", time.time(), 0.0)


class SequentialExecutor(Executor):
    """Runs tasks one by one in this process: the reference implementation."""

    name = "sequential"

    def _run(self, graph: TaskGraph, callbacks: Callbacks) -> dict[str, TaskOutcome]:
        outcomes: dict[str, TaskOutcome] = {}
        for node in graph.order:
            upstream = [outcomes[d] for d in graph.depends.get(node, ())]
            if any(not o.ok for o in upstream):
                outcomes[node] = skipped(node)
            else:
                callbacks.started(node)
                outcomes[node] = run_task(graph.tasks[node], *upstream)
            callbacks.finished(outcomes[node])
            if outcomes[node].status == "failed" and self.on_error == "fail":
                break
        return outcomes

