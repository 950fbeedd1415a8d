"""The process local worker processes fork from (a multiprocessing forkserver).

Both the multiprocessing scheduler's pool and an embedded LocalCluster's workers fork
from it. Spawned workers would each import pandas and scikit-learn again (~2 s of CPU
apiece, on the cores the client needs for composing and compiling). The forkserver
imports them once, in its own process, and forks warm workers; it never runs a task,
so no OpenMP thread pool exists to be broken by the fork. ``assay run`` starts it
first thing when the run may need it, overlapping that import with Hydra's start-up
and the compilation.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
from collections.abc import Callable

WARMUP_MODULE = "assay.executor.warmup"


_started: list[bool] = []  # whether workers can fork from the server, once it is asked for


def start_worker_server(for_cluster: bool = True) -> bool:
    """Starts the forkserver (once per process) with the worker libraries preloaded.

    Cheap here (~5 ms: no Dask import); the server imports the libraries in its own
    process. One still importing when this process exits is ended then, so that a
    run that never needed it does not wait for it.

    Args:
        for_cluster: Whether the workers will be a LocalCluster's, which also need
            ``distributed`` (~0.5 s more to import); the first call decides.

    Returns:
        Whether workers can fork from it. Where forkserver is missing (Windows), workers
        are spawned and must import the libraries themselves.
    """
    if _started:
        return _started[0]
    import multiprocessing
    import multiprocessing.forkserver

    if "forkserver" not in multiprocessing.get_all_start_methods():
        _started.append(False)
        return False
    # This module first: its import in the server sets up the server's lifeline
    # (assay.executor.lifeline) before the long imports begin.
    modules = [__name__, "distributed", WARMUP_MODULE] if for_cluster else [__name__, WARMUP_MODULE]
    multiprocessing.get_context("forkserver").set_forkserver_preload(modules)
    _start_resource_tracker_without_output()
    _start_server(multiprocessing.forkserver.ensure_running)
    atexit.register(_stop_worker_server)
    _started.append(True)
    return True


def _start_resource_tracker_without_output() -> None:
    """Starts multiprocessing's resource tracker with its stdout and stderr on /dev/null.

    The forkserver needs it, and it would inherit this process's output: it ends only
    once every process that shares its pipe has gone, a moment after this one, and
    until then a caller reading the command's output to its end would still wait.
    """
    from multiprocessing import resource_tracker

    sys.stdout.flush()
    sys.stderr.flush()
    saved = (os.dup(1), os.dup(2))
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        resource_tracker.ensure_running()
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, devnull):
            os.close(fd)


def _start_server(start: Callable[[], None]) -> None:
    """Runs ``start`` so that the server it starts knows its client and ignores Ctrl-C.

    SIGINT stays blocked until the server has set it to be ignored (a blocked signal is
    inherited as blocked): a Ctrl-C during its start-up would print a traceback. Here the
    signal is only held back, and delivered as soon as ``start`` returns.
    """
    import signal

    from assay.executor.lifeline import CLIENT_ENV

    os.environ[CLIENT_ENV] = str(os.getpid())
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
        os.environ.pop(CLIENT_ENV, None)


def use_worker_server() -> bool:
    """Makes Dask fork its workers from the worker server, starting it if needed."""
    if not start_worker_server():
        return False
    import dask

    from assay.executor.dask_import import import_distributed

    import_distributed()
    from assay._compat import skip_dask_forkserver_preload

    dask.config.set({"distributed.worker.multiprocessing-method": "forkserver"})
    # Dask's own forkserver set-up first imports every optional package into this
    # process; marking it done and naming the modules workers need does less.
    skip_dask_forkserver_preload()
    return True


def _stop_worker_server() -> None:
    """Ends the forkserver at exit instead of letting it finish its imports first.

    It notices that this process is gone only once its preloading is done (up to ~2 s),
    and until then it holds this process's stdout and stderr open, so a shell pipe or a
    caller capturing the output would wait for it. Workers are closed by then.
    """
    import signal

    from assay._compat import forkserver_pid

    pid = forkserver_pid()
    if pid:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)  # gone, with the output it held, before this process is


def _in_forkserver() -> bool:
    """Whether this import is the forkserver's preload (its ``main`` is on the stack)."""
    frame = sys._getframe()
    while frame is not None:
        if frame.f_code.co_name == "main" and frame.f_globals.get("__name__") == (
            "multiprocessing.forkserver"
        ):
            return True
        frame = frame.f_back  # type: ignore[assignment]
    return False


if _in_forkserver():
    from assay.executor.lifeline import start_server_guard

    start_server_guard()
    # When the client exits, the forkserver would tear down pandas, scikit-learn and
    # Dask module by module (0.3-0.8 s) while holding the client's stdout, so a shell
    # pipe or a caller capturing output waits for it. It has nothing to flush (its
    # workers are gone, and forked workers end with os._exit, never running this).
    atexit.register(os._exit, 0)
