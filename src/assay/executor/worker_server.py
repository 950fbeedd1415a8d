"""The process an embedded cluster's workers fork from (a multiprocessing forkserver).

Spawned workers each import pandas and scikit-learn again (~2 s of CPU apiece, on the
cores the client needs for composing and compiling). A forkserver imports them once,
in its own process, and forks warm workers. Starting it as soon as the executor is
known overlaps that import with everything that happens before the first task.
"""

from __future__ import annotations

import atexit
import functools
import os
import sys

WARMUP_MODULE = "assay.executor.warmup"


@functools.cache  # a sweep asks early (to overlap the imports) and again for its cluster
def start_worker_server() -> bool:
    """Starts the forkserver (once per process) with the worker libraries preloaded.

    Returns:
        Whether workers fork from it. Where forkserver is missing (Windows), workers are
        spawned as Dask's default and must import the libraries themselves.
    """
    import multiprocessing
    import multiprocessing.forkserver

    import dask
    import distributed.utils

    if "forkserver" not in multiprocessing.get_all_start_methods():
        return False
    dask.config.set({"distributed.worker.multiprocessing-method": "forkserver"})
    # Dask's own forkserver set-up first imports every optional package into this
    # process (~0.5 s); marking it done and naming the modules workers need does less.
    distributed.utils._forkserver_preload_set = True
    multiprocessing.get_context("forkserver").set_forkserver_preload(
        ["distributed", WARMUP_MODULE, __name__]
    )
    multiprocessing.forkserver.ensure_running()
    return True


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
    # When the client exits, the forkserver would tear down pandas, scikit-learn and
    # Dask module by module (0.3-0.8 s) while holding the client's stdout, so a shell
    # pipe or a caller capturing output waits for it. It has nothing to flush (its
    # workers are gone, and forked workers end with os._exit, never running this).
    atexit.register(os._exit, 0)
