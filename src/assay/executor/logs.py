"""Per-task log files.

Several tasks can run in one process (Dask's threaded scheduler), so a task's
records are routed by thread: a logging handler that only accepts records from the
task's thread, and ``sys.stdout``/``sys.stderr`` replaced once per process by a
stream that writes to the current thread's log file when it has one.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

_FORMAT = "[%(asctime)s][%(name)s][%(levelname)s] - %(message)s"
_local = threading.local()
_install_lock = threading.Lock()


class _ThreadRoutedStream:
    """Writes to the current thread's task log if it has one, else to the original stream."""

    def __init__(self, original: IO[str]) -> None:
        self._original = original

    def write(self, text: str) -> int:
        target = getattr(_local, "stream", None)
        return (target or self._original).write(text)

    def flush(self) -> None:
        target = getattr(_local, "stream", None)
        (target or self._original).flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._original, name)


class _ThreadFilter(logging.Filter):
    def __init__(self, thread: int) -> None:
        super().__init__()
        self.thread = thread

    def filter(self, record: logging.LogRecord) -> bool:
        return record.thread == self.thread


def _install_routing() -> None:
    with _install_lock:
        if not isinstance(sys.stdout, _ThreadRoutedStream):
            sys.stdout = _ThreadRoutedStream(sys.stdout)  # type: ignore[assignment]
        if not isinstance(sys.stderr, _ThreadRoutedStream):
            sys.stderr = _ThreadRoutedStream(sys.stderr)  # type: ignore[assignment]


@contextlib.contextmanager
def task_log(path: Path) -> Iterator[logging.Logger]:
    """Captures logging, prints and warnings of the current thread into ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _install_routing()
    logging.captureWarnings(True)
    with open(path, "a", encoding="utf-8", buffering=1) as stream:
        handler = logging.StreamHandler(stream)
        handler.setFormatter(logging.Formatter(_FORMAT))
        handler.addFilter(_ThreadFilter(threading.get_ident()))
        root = logging.getLogger()
        root.addHandler(handler)
        if root.level > logging.INFO:
            root.setLevel(logging.INFO)  # handlers, not the root level, decide what is shown
        # The task's own records (its traceback when it fails) go to its log file only;
        # the command line reports the failure once, without a traceback.
        task_logger = logging.getLogger(f"assay.task.{threading.get_ident()}")
        task_logger.propagate = False
        task_logger.setLevel(logging.INFO)
        task_logger.addHandler(handler)
        _local.stream = stream
        try:
            yield task_logger
        finally:
            _local.stream = None
            root.removeHandler(handler)
            task_logger.removeHandler(handler)
