"""The ``assay`` sweeper: Hydra's basic sweeper minus a redundant check.

Before launching a batch, the basic sweeper composes every job's config once just to
catch composition errors; the launcher then composes each job again. The assay
launcher composes, validates and compiles every job of a batch before any runs, so
with it that first pass is skipped (about 50 ms a job). With any other launcher this
sweeper behaves exactly as the basic one. Sweep grammar, batching and ``params`` are
the basic sweeper's.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper, BasicSweeperConf
from hydra.core.config_store import ConfigStore


@dataclass
class AssaySweeperConf(BasicSweeperConf):
    """The basic sweeper's settings (no ``from __future__`` here: see the launcher config)."""

    _target_: str = "hydra_plugins.assay_sweeper.sweeper.AssaySweeper"


ConfigStore.instance().store(
    group="hydra/sweeper", name="assay", node=AssaySweeperConf, provider="assay"
)


class AssaySweeper(BasicSweeper):
    """Hydra's basic sweeper that trusts the assay launcher to check every job."""

    def validate_batch_is_legal(self, batch: Sequence[Sequence[str]]) -> None:
        from hydra_plugins.assay_launcher.launcher import AssayLauncher

        if isinstance(self.launcher, AssayLauncher):
            return  # the launcher composes and checks every job before running any
        super().validate_batch_is_legal(batch)
