"""The launcher's config, registered as ``hydra/launcher=assay``.

No ``from __future__ import annotations`` here: Hydra's plugin scanner executes this
module outside ``sys.modules``, where dataclasses cannot resolve string annotations.
"""

from dataclasses import dataclass
from typing import Optional

from hydra.core.config_store import ConfigStore


@dataclass
class AssayLauncherConf:
    """Settings for plain Hydra task functions; assay pipelines use their own ``executor``.

    Attributes:
        executor: ``local`` (an embedded Dask LocalCluster), ``dask`` (a running
            scheduler at ``address``) or ``sequential`` (in this process).
        address: The scheduler address for ``executor=dask``.
        n_workers: Worker processes for ``executor=local`` (default: one per core).
    """

    _target_: str = "hydra_plugins.assay_launcher.launcher.AssayLauncher"
    executor: str = "local"
    address: Optional[str] = None  # noqa: UP045  (OmegaConf reads these annotations)
    n_workers: Optional[int] = None  # noqa: UP045


ConfigStore.instance().store(
    group="hydra/launcher", name="assay", node=AssayLauncherConf, provider="assay"
)
