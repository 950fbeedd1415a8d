"""Private APIs of other packages that assay relies on, each in one place with a test.

A release of Hydra, Dask or Python that moves one of them fails ``tests/unit/test_compat.py``
instead of a run.

Hydra's ``Singleton.get_state`` leaves its plugin registry out and ``set_state`` scans
the plugins again, executing every plugin module a second time: a config dataclass a
plugin defines is then a new class, and configs unpickled before the scan no longer
pickle (``it's not the same object as ...``). A launcher's worker scans once, before it
unpickles anything, and keeps that scan when it sets the state of each job.
"""

from __future__ import annotations

from typing import Any


def hydra_plugins_scanned() -> Any:
    """Hydra's plugin registry in this process, scanning the plugins the first time."""
    from hydra.core.plugins import Plugins

    return Plugins.instance()


def hydra_set_state_keeping_plugins(state: Any) -> None:
    """``Singleton.set_state(state)`` without scanning the plugins again.

    Args:
        state: What ``hydra.core.singleton.Singleton.get_state()`` returned, in any process.
    """
    from hydra.core.plugins import Plugins
    from hydra.core.singleton import Singleton

    instances = dict(state["instances"])  # Hydra's layout of get_state()
    instances[Plugins] = hydra_plugins_scanned()
    Singleton.set_state({**state, "instances": instances})


def skip_dask_forkserver_preload() -> None:
    """Marks Dask's forkserver set-up done, so it does not import every optional package.

    ``distributed.utils`` keeps the flag private; assay names the modules its workers need
    itself (``assay.executor.worker_server``).
    """
    import distributed.utils

    distributed.utils._forkserver_preload_set = True


def forkserver_pid() -> int | None:
    """The pid of this process's multiprocessing forkserver, or None when none runs."""
    import multiprocessing.forkserver

    pid = getattr(multiprocessing.forkserver._forkserver, "_forkserver_pid", None)  # type: ignore[attr-defined]
    return pid if isinstance(pid, int) else None


def run_exit_handlers() -> None:
    """Runs every ``atexit`` handler now (before ``os._exit`` skips the interpreter's teardown)."""
    import atexit

    atexit._run_exitfuncs()
