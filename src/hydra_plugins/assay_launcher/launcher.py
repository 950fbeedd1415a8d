"""The launcher plugin itself: thin; the work is in ``_core``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from hydra.core.utils import JobReturn
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig

from hydra_plugins.assay_launcher import config as _config  # noqa: F401  (registers the config)

if TYPE_CHECKING:
    from hydra_plugins.assay_launcher.compose import JobComposer


class AssayLauncher(Launcher):
    """Runs each batch of jobs on Dask.

    Jobs of an assay pipeline are compiled into one plan whose shared nodes run once;
    any other task function runs as one Dask task per job.
    """

    def __init__(self, executor: str = "local", address: str | None = None,
                 n_workers: int | None = None) -> None:
        self.executor = executor
        self.address = address
        self.n_workers = n_workers
        self.config: DictConfig | None = None
        self.task_function: TaskFunction | None = None
        self.hydra_context: HydraContext | None = None
        self._composer: JobComposer | None = None

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction,
              config: DictConfig) -> None:
        self.config = config
        self.hydra_context = hydra_context
        self.task_function = task_function
        self._composer = None  # its shared bases belong to this config

    def composer(self) -> JobComposer:
        """The composer of this sweep's jobs, kept across batches so they share bases.

        An optimising sweeper launches many small batches; each would otherwise compose
        the same bases again.
        """
        from hydra_plugins.assay_launcher.compose import JobComposer

        if self._composer is None:
            assert self.hydra_context is not None and self.config is not None
            self._composer = JobComposer(self.hydra_context, self.config)
        return self._composer

    def launch(self, job_overrides: Sequence[Sequence[str]],
               initial_job_idx: int) -> Sequence[JobReturn]:
        from hydra_plugins.assay_launcher._core import launch

        return launch(self, job_overrides, initial_job_idx)
