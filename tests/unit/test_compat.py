"""The private APIs of other packages that assay wraps in ``assay._compat``."""

from __future__ import annotations

import copy
import pickle
from collections.abc import Iterator

import cloudpickle
import pytest
from hydra.core.config_store import ConfigStore
from hydra.core.plugins import Plugins
from hydra.core.singleton import Singleton

from assay._compat import (
    hydra_plugins_scanned,
    hydra_set_state_keeping_plugins,
    skip_dask_forkserver_preload,
)


@pytest.fixture
def hydra_state() -> Iterator[None]:
    # Scanned first: the state put back keeps this scan, and with it the config sources
    # the scan registers. get_state() hands out the live registry, hence the copy.
    hydra_plugins_scanned()
    before = copy.deepcopy(Singleton.get_state())
    yield
    hydra_set_state_keeping_plugins(before)


def test_setting_hydra_state_keeps_the_plugins_scanned_here(hydra_state: None) -> None:
    import hydra_plugins.assay_launcher.config as launcher_config

    plugins = hydra_plugins_scanned()
    conf_class = launcher_config.AssayLauncherConf
    # A state as a launcher ships it to a worker: pickled, without the plugin registry.
    state = pickle.loads(cloudpickle.dumps(Singleton.get_state()))
    assert Plugins not in state["instances"]
    hydra_set_state_keeping_plugins(state)
    assert Plugins.instance() is plugins  # not scanned again
    assert launcher_config.AssayLauncherConf is conf_class  # its module not executed again
    assert ConfigStore.instance() is state["instances"][ConfigStore]  # the state is set
    stored = ConfigStore.instance().load("hydra/launcher/assay.yaml").node
    assert pickle.loads(pickle.dumps(stored)) == stored  # its config class still pickles


def test_skipping_dask_forkserver_preload_sets_its_flag() -> None:
    import distributed.utils

    assert hasattr(distributed.utils, "_forkserver_preload_set")  # the private name is there
    before = distributed.utils._forkserver_preload_set
    try:
        skip_dask_forkserver_preload()
        assert distributed.utils._forkserver_preload_set is True
    finally:
        distributed.utils._forkserver_preload_set = before


def test_forkserver_pid_names_the_running_forkserver() -> None:
    import subprocess
    import sys

    # In a process of its own: a forkserver started here would be the one assay's worker
    # server tests later find.
    script = ("import multiprocessing.forkserver, os\n"
              "from assay._compat import forkserver_pid\n"
              "assert forkserver_pid() is None\n"
              "multiprocessing.forkserver.ensure_running()\n"
              "pid = forkserver_pid()\n"
              "assert isinstance(pid, int) and pid != os.getpid(), pid\n"
              "os.kill(pid, 0)\n"  # alive: it is this process's forkserver
              "print('ok')\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=60)
    assert result.stdout == "ok\n", result.stderr


def test_running_exit_handlers_runs_them_now() -> None:
    import subprocess
    import sys

    # In a process of its own: running them also clears them, pytest's included.
    script = ("import atexit, os\n"
              "from assay._compat import run_exit_handlers\n"
              "atexit.register(print, 'handler ran')\n"
              "run_exit_handlers()\n"
              "print('then exited', flush=True)\n"
              "os._exit(0)\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=60, check=True)
    assert result.stdout == "handler ran\nthen exited\n"
