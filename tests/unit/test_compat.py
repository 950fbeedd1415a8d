"""The private APIs of other packages that assay wraps in ``assay._compat``."""

from __future__ import annotations

import pickle
from collections.abc import Iterator

import cloudpickle
import pytest
from hydra.core.config_store import ConfigStore
from hydra.core.plugins import Plugins
from hydra.core.singleton import Singleton

from assay._compat import hydra_plugins_scanned, hydra_set_state_keeping_plugins


@pytest.fixture
def hydra_state() -> Iterator[None]:
    before = Singleton.get_state()
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
