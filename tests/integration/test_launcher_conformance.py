"""Hydra's own launcher conformance suites, run against the assay launcher.

Plain task functions (not assay pipelines) run as one Dask task per job on an embedded
LocalCluster, the launcher's default for them.
"""

from __future__ import annotations

import pytest
from hydra.core.plugins import Plugins
from hydra.plugins.launcher import Launcher
from hydra.test_utils.launcher_common_tests import IntegrationTestSuite, LauncherTestSuite

from hydra_plugins.assay_launcher.launcher import AssayLauncher


def test_discovery() -> None:
    assert AssayLauncher.__name__ in [x.__name__ for x in Plugins.instance().discover(Launcher)]


@pytest.mark.parametrize("launcher_name, overrides", [("assay", [])])
class TestAssayLauncher(LauncherTestSuite):
    """Hydra's LauncherTestSuite: sweeps of plain task functions, in process."""


@pytest.mark.parametrize(
    "task_launcher_cfg, extra_flags",
    [
        (
            {
                "defaults": [
                    {"override hydra/launcher": "assay"},
                    {"override hydra/hydra_logging": "hydra_debug"},
                    {"override hydra/job_logging": "disabled"},
                ]
            },
            ["-m"],
        )
    ],
)
class TestAssayLauncherIntegration(IntegrationTestSuite):
    """Hydra's IntegrationTestSuite: real applications started as subprocesses."""


def test_every_batch_of_a_sweep_shares_one_composer() -> None:
    from types import SimpleNamespace

    from omegaconf import OmegaConf

    launcher = AssayLauncher()

    def setup() -> None:
        launcher.setup(hydra_context=SimpleNamespace(config_loader=None),  # type: ignore[arg-type]
                       task_function=lambda cfg: None, config=OmegaConf.create())

    setup()
    first = launcher.composer()
    assert launcher.composer() is first  # an optimiser's next batch reuses its bases
    setup()  # a new sweep: bases of another config
    assert launcher.composer() is not first
