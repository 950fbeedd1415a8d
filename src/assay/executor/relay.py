"""Dask's local schedulers run in a thread; what they report is replayed in the caller.

``dask.compute`` blocks until every task is done, but callbacks must run as each task
starts and finishes, in the thread that called :meth:`Executor.run` (a launcher
finishes a sweep's jobs from them). The scheduler thread puts events on a queue and the
calling thread replays them.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable

from assay.executor.base import Callbacks
from assay.executor.task import TaskOutcome

Events = queue.Queue[tuple[str, object] | None]
"""``("started", node)``, ``("finished", outcome)`` or ``("lost", error)``; None ends."""

Lost = Callable[[object, list[str]], Iterable[TaskOutcome]]
"""Outcomes for the tasks still running when the workers were lost, given the error."""


def run_relayed(schedule: Callable[[Events], None], name: str, callbacks: Callbacks,
                lost: Lost | None = None) -> dict[str, TaskOutcome]:
    """Runs ``schedule(events)`` in a thread; returns the outcome of every finished task.

    Raises:
        BaseException: whatever ``schedule`` raised, once its events are replayed.
    """
    events: Events = queue.Queue()
    errors: list[BaseException] = []

    def target() -> None:
        try:
            schedule(events)
        except BaseException as error:  # raised in the calling thread
            errors.append(error)
        finally:
            events.put(None)

    thread = threading.Thread(target=target, name=name, daemon=True)
    thread.start()
    outcomes: dict[str, TaskOutcome] = {}
    running: set[str] = set()
    while (event := events.get()) is not None:
        kind, payload = event
        if kind == "started":
            running.add(str(payload))
            callbacks.started(str(payload))
            continue
        if kind == "finished":
            assert isinstance(payload, TaskOutcome)
            finished = [payload]
        else:
            assert lost is not None, f"unexpected event {kind}"
            finished = list(lost(payload, sorted(running - set(outcomes))))
        for outcome in finished:
            outcomes[outcome.node] = outcome
            callbacks.finished(outcome)
    thread.join()
    if errors:
        raise errors[0]
    return outcomes
