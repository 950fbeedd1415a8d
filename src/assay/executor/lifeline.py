"""The worker server and its workers end when the command that started them ends.

The server (a multiprocessing forkserver) outlives its client when the client is killed
(SIGKILL, the out-of-memory killer): each worker holds a write end of the pipe the server
watches, so neither notices, and they would keep their memory forever. So, chained:

- the server watches its client's process (a pidfd, else its parent pid) from a thread and
  exits the moment the client is gone, even while it is still importing its preloads;
- every process the server forks asks the kernel for SIGKILL when the server dies
  (``PR_SET_PDEATHSIG``; Linux), after checking the server had not died already;
- multiprocessing's resource tracker ends by itself once the last of them is gone.

The server and its workers also ignore SIGINT: a Ctrl-C reaches the terminal's whole
process group, and the client, which stops the workers, decides what an interrupt does;
a worker or a server half-way through its imports would otherwise print a traceback.
"""

from __future__ import annotations

import os
import select
import signal
import threading
import time
from collections.abc import Callable

Prctl = Callable[..., int]
"""libc's ``prctl`` as ctypes calls it."""

CLIENT_ENV = "ASSAY_WORKER_SERVER_CLIENT"
"""The environment variable that tells the server its client's pid (set only to start it)."""

_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>

_server_pid: list[int] = []  # the server's pid, in the server and (inherited) in its children


def start_server_guard() -> None:
    """Called in the server, first thing: ignore SIGINT, watch the client, guard the children."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The client blocked SIGINT while it started this process (so no Ctrl-C could land
    # before the line above); an ignored signal is never delivered, so unblock it again.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    client = int(os.environ.pop(CLIENT_ENV, "0") or 0) or os.getppid()
    _server_pid.append(os.getpid())
    prctl = _prctl()
    if prctl is not None:
        os.register_at_fork(after_in_child=lambda: _die_with_server(prctl))
    threading.Thread(target=_exit_when_gone, args=(client,), name="assay-lifeline",
                     daemon=True).start()


def _exit_when_gone(client: int) -> None:
    """Blocks until process ``client`` has ended, then ends this process at once."""
    try:
        handle: int | None = os.pidfd_open(client)
    except (AttributeError, OSError):  # not Linux 5.3+, or the client is already gone
        handle = None
    if os.getppid() == client:  # the handle, when there is one, is the client's
        if handle is not None:
            watcher = select.poll()
            watcher.register(handle, select.POLLIN)
            while not watcher.poll():  # readable once the client has ended
                pass
        else:
            while os.getppid() == client:  # reparented once the client is gone
                time.sleep(0.25)
    os._exit(0)


def _die_with_server(prctl: Prctl) -> None:
    """In a process the server just forked: SIGKILL when the server ends.

    Only the server's own children: a worker clears the server's pid here, so the
    processes a worker forks keep their usual lifetime.
    """
    if not _server_pid:
        return
    server = _server_pid.pop()
    prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != server:
        os._exit(1)  # the server ended before the request was in place


def _prctl() -> Prctl | None:
    """libc's ``prctl``, loaded now (in the server) so that forked children only call it."""
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return None
    try:
        found: Prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return found
