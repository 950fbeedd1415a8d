"""What a running step may know about the task that runs it, without importing the executor.

The executor sets a scratch directory per task (under the store, keyed by the node's
fingerprint) before calling the step; long-running steps keep resumable state there,
such as a trainer's per-epoch checkpoints. The directory outlives a killed task, so
the same node run again finds it; it is removed once the task's outputs are stored.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path

_scratch: ContextVar[Path | None] = ContextVar("assay_task_scratch", default=None)


def task_scratch_dir() -> Path | None:
    """The current task's resumable-state directory; None outside a task."""
    return _scratch.get()


@contextlib.contextmanager
def running_task(scratch: Path) -> Iterator[None]:
    """Marks the code inside as running the task whose scratch directory is ``scratch``."""
    token = _scratch.set(scratch)
    try:
        yield
    finally:
        _scratch.reset(token)
