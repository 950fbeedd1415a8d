"""A one-line live progress display on a terminal; silent when not a TTY."""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

from assay.executor.task import TaskOutcome


class Progress:
    """Counts tasks as they start and finish and redraws one status line."""

    def __init__(self, total: int, cached: int, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.total = total
        self.cached = cached
        self.done = 0
        self.failed = 0
        self.running: list[str] = []
        self.started_at = time.perf_counter()
        self._lock = threading.Lock()

    def started(self, node: str) -> None:
        """A task was handed to a worker."""
        with self._lock:
            self.running.append(node)
            self._draw()

    def finished(self, outcome: TaskOutcome) -> None:
        """A task finished, failed or was skipped."""
        with self._lock:
            if outcome.node in self.running:
                self.running.remove(outcome.node)
            self.done += 1
            self.failed += outcome.status == "failed"
            self._draw()

    def close(self) -> None:
        """Clears the status line."""
        if self.enabled:
            self.stream.write("\r\x1b[K")
            self.stream.flush()

    def _draw(self) -> None:
        if not self.enabled:
            return
        elapsed = time.perf_counter() - self.started_at
        running = ", ".join(self.running[:4]) + (" ..." if len(self.running) > 4 else "")
        failed = f", {self.failed} failed" if self.failed else ""
        line = (
            f"[{self.done + self.cached}/{self.total}] {self.cached} cached{failed}"
            f" {elapsed:5.1f}s" + (f"  running: {running}" if running else "")
        )
        self.stream.write("\r\x1b[K" + line[:160])
        self.stream.flush()
