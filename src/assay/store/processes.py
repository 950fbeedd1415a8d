"""Telling whether the process that started a run is still alive.

A run records its process id, host name and the process's start time. A pid alone is
not enough: pids are reused, so a run whose pid now belongs to another process would
look alive forever. The start time (with the boot it belongs to) tells the two apart.
Runs of another host cannot be checked from here and are left as they are.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ProcessIdentity:
    """Which process a run belongs to.

    Attributes:
        pid: Its process id.
        host: The host name it ran on.
        started: An opaque token for when it started; None where it cannot be read.
    """

    pid: int
    host: str
    started: str | None


def current_process() -> ProcessIdentity:
    """The identity of this process."""
    pid = os.getpid()
    return ProcessIdentity(pid, socket.gethostname(), start_time(pid))


def start_time(pid: int) -> str | None:
    """When ``pid`` started, as ``boot-id:ticks`` (Linux) or a psutil timestamp; None if gone.

    Linux reads ``/proc``: field 22 of ``/proc/PID/stat`` is the start time in clock ticks
    since boot, made unique across reboots by the boot id. Elsewhere psutil, when
    installed, gives the creation time.
    """
    stat = Path(f"/proc/{pid}/stat")
    if Path("/proc/self/stat").exists():
        try:
            text = stat.read_text()
        except OSError:
            return None
        # The command name (field 2) may hold spaces and parentheses: split after its end.
        fields = text[text.rindex(")") + 2:].split()
        return f"{_boot_id()}:{fields[19]}"
    try:
        import psutil  # type: ignore[import-untyped]
    except ImportError:
        return None
    try:
        return f"psutil:{psutil.Process(pid).create_time():.3f}"
    except psutil.Error:
        return None


def is_gone(process: ProcessIdentity) -> bool:
    """Whether ``process`` has certainly ended: on this host, and its pid is absent or reused.

    Returns False when it cannot be told (another host, or no start time recorded).
    """
    if process.host != socket.gethostname() or process.started is None:
        return False
    return start_time(process.pid) != process.started


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return "unknown-boot"
