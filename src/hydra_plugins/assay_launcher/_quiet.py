"""Keeping the worker processes of the launcher's own cluster quiet.

A module of its own because it imports ``distributed`` at the top (the worker plugin
must be a class that workers can import); its leading underscore keeps Hydra's plugin
scanner from importing it.
"""

from __future__ import annotations

import logging
from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin


class QuietWorkerLogs(WorkerPlugin):
    """Raises a worker's ``distributed`` logger to WARNING: its connection and shutdown
    INFO lines would otherwise reach the terminal of the command that started it."""

    name = "assay-quiet-logs"

    def setup(self, worker: Any) -> None:
        """Called by each worker as it starts (or as the plugin is registered)."""
        logging.getLogger("distributed").setLevel(logging.WARNING)
