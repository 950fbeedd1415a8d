"""Structured schemas of the component groups.

The settings groups (split, evaluate, executor, store) are dataclasses checked with
OmegaConf's structured configs: an unknown key or a value of the wrong type is
caught before anything runs. The component groups that name something to build
(data, features, model) are ``_target_`` configs; the compiler checks those against
the signature of what they name.

A group with several shapes (executor, store) picks its schema by its ``kind`` key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from omegaconf import MISSING

MODEL_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
MODEL_NAME_RULE = "letters, digits, '.', '_' and '-', starting with a letter or digit"
"""Model names and aliases: they appear inside references (``NAME:v3``, ``NAME@champion``)."""
LATEST = "latest"
"""The alias that always means a name's newest version: it cannot be set or promoted to."""


@dataclass
class SplitSettings:
    """How the held-out test set is drawn."""

    test_size: float = 0.25
    stratify: bool = True
    seed: int = 0


@dataclass
class EvaluateSettings:
    """Evaluation options: ``cv_folds`` 0 turns cross-validation off."""

    cv_folds: int = 0
    seed: int = 0
    # Columns of the test split whose values each get their own metrics on the model card.
    slices: list[str] = field(default_factory=list)


@dataclass
class SweepSettings:
    """Multirun sweeps: the objective jobs are ranked by, and the failure policy."""

    objective: str | None = None
    direction: str = "maximize"
    on_error: str = "keep-going"


@dataclass
class PromotionGate:
    """When a newly registered version becomes ``alias`` (off while ``metric`` is null).

    Every condition set must hold: the metric at least ``min`` (at most ``max``), and
    better than the version ``must_beat`` names by at least ``by``, in ``direction``.
    """

    metric: str | None = None
    min: float | None = None
    max: float | None = None
    must_beat: str | None = None
    by: float = 0.0
    direction: str = "maximize"
    alias: str = "champion"


@dataclass
class RegistrySettings:
    """Model versions: the name they are registered under, tags, the promotion gate."""

    name: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    promote: PromotionGate = field(default_factory=PromotionGate)
    require_promotion: bool = False


@dataclass
class ColumnTest:
    """A drift test (and threshold) chosen for one column instead of the default rule."""

    test: str | None = None
    threshold: float | None = None


@dataclass
class TypeTests:
    """A drift test for every column of a type instead of the default rule (null: the rule)."""

    numeric: str | None = None
    categorical: str | None = None


@dataclass
class RetrainSettings:
    """When ``assay monitor`` retrains: ``when`` is a rule over the check's figures."""

    when: str | None = None
    pipeline: str = "retrain"
    cooldown: str = "1d"


DRIFT_SHARE = 0.5
"""The share of drifted columns at which a dataset counts as drifted, wherever no other is set."""
MIN_ROWS = 30
"""Fewer values than this on a side make a column "insufficient data", wherever no other is set."""
NUMERIC_ONLY_TESTS: tuple[str, ...] = ("ks", "wasserstein")
"""Drift tests of values on a line: a categorical column cannot have them."""


@dataclass
class MonitorSettings:
    """Drift checks: the current data against a registered version's reference profile."""

    reference: str | None = None
    current: str | None = None
    drift_share: float = DRIFT_SHARE
    correction: str | None = None
    min_rows: int = MIN_ROWS
    missing_columns: str = "drifted"  # a column the current data lacks: drifted, or ignore
    columns: dict[str, ColumnTest] = field(default_factory=dict)
    tests: TypeTests = field(default_factory=TypeTests)
    retrain: RetrainSettings = field(default_factory=RetrainSettings)


@dataclass
class CardSettings:
    """The human-written sections of a model card; a section left empty is shown as missing."""

    owners: list[str] = field(default_factory=list)
    license: str | None = None
    intended_use: str | None = None
    out_of_scope: str | None = None
    limitations: str | None = None
    ethical_considerations: str | None = None


@dataclass
class ReportSettings:
    """The report site: whether ``assay run`` rebuilds it afterwards, and where."""

    build: bool = False
    out: str = "site"
    resamples: int = 1000  # bootstrap resamples behind each metric's confidence interval


@dataclass
class SecuritySettings:
    """What a config, a pipeline spec or a stored artifact may make assay run.

    Attributes:
        allow_targets: Module prefixes a ``_target_`` (or a step's ``uses``) may name besides
            the defaults (scikit-learn, torch, assay and the project's own modules). Each
            prefix allows whole dotted components: ``pandas`` allows ``pandas.DataFrame``
            but not ``pandasx.evil``. What it names runs with the user's rights.
        allow_pickle: Extra ``module:qualname`` globals a stored pickle may reference when a
            model is loaded, besides those assay's own loader accepts.
    """

    allow_targets: list[str] = field(default_factory=list)
    allow_pickle: list[str] = field(default_factory=list)


@dataclass
class LocalExecutorSettings:
    """An embedded ``dask.distributed.LocalCluster``."""

    kind: str = "local"
    n_workers: int | None = None
    threads_per_worker: int = 1
    memory_limit: str = "auto"
    dashboard_address: str | None = None
    on_error: str = "fail"
    gpu_workers: int | None = None


@dataclass
class AutoExecutorSettings(LocalExecutorSettings):
    """A LocalCluster when the run needs one (a dashboard, GPU workers), else a process pool."""

    kind: str = "auto"


@dataclass
class ThreadsExecutorSettings:
    """Dask's threaded scheduler in the calling process."""

    kind: str = "threads"
    n_workers: int | None = None
    on_error: str = "fail"


@dataclass
class ProcessesExecutorSettings:
    """Dask's multiprocessing scheduler: a pool of worker processes, no cluster."""

    kind: str = "processes"
    n_workers: int | None = None
    on_error: str = "fail"


@dataclass
class DaskExecutorSettings:
    """An existing Dask cluster reached by scheduler address."""

    kind: str = "dask"
    address: str = MISSING
    timeout: float = 10.0
    on_error: str = "fail"


@dataclass
class SequentialExecutorSettings:
    """Tasks one after another in the calling process (for debugging with pdb)."""

    kind: str = "sequential"
    on_error: str = "fail"


@dataclass
class LocalStoreSettings:
    """Artifacts and metadata on the local filesystem."""

    kind: str = "local"
    root: str = ".assay"


EXECUTOR_KINDS: dict[str, type[Any]] = {
    "auto": AutoExecutorSettings,
    "local": LocalExecutorSettings,
    "threads": ThreadsExecutorSettings,
    "processes": ProcessesExecutorSettings,
    "dask": DaskExecutorSettings,
    "sequential": SequentialExecutorSettings,
}
STORE_KINDS: dict[str, type[Any]] = {"local": LocalStoreSettings}

SETTINGS_GROUPS: dict[str, type[Any]] = {
    "split": SplitSettings,
    "evaluate": EvaluateSettings,
    "sweep": SweepSettings,
    "registry": RegistrySettings,
    "monitor": MonitorSettings,
    "card": CardSettings,
    "report": ReportSettings,
    "security": SecuritySettings,
}
"""Groups with a single shape."""

OPTIONAL_GROUPS: frozenset[str] = frozenset({"sweep", "registry", "monitor", "card", "report",
                                             "security"})
"""Groups a project may leave out; their schema defaults apply."""

DIRECTIONS: tuple[str, ...] = ("maximize", "minimize")
CORRECTIONS: tuple[str, ...] = ("bonferroni", "bh")
MISSING_COLUMN_CHOICES: tuple[str, ...] = ("drifted", "ignore")
DRIFT_TESTS: tuple[str, ...] = ("ks", "chisquare", "z", "wasserstein", "jensenshannon", "psi",
                                "hellinger")

KIND_GROUPS: dict[str, dict[str, type[Any]]] = {"executor": EXECUTOR_KINDS, "store": STORE_KINDS}
"""Groups whose shape depends on their ``kind``."""

TARGET_GROUPS: tuple[str, ...] = ("data", "features", "model")
"""Groups that are ``_target_`` configs, checked against what they name."""

ON_ERROR_CHOICES: tuple[str, ...] = ("fail", "keep-going")
"""Failure policies: stop at the first failed step, or run everything not downstream of one."""


def register_schemas() -> None:
    """Registers the schemas in Hydra's ConfigStore under ``schema/<group>/<kind>``.

    A project's own YAML files can then extend them in their defaults list
    (``- /schema/split/default@_here_``) to get Hydra's native validation as well.
    """
    from hydra.core.config_store import ConfigStore

    store = ConfigStore.instance()
    for group, schema in SETTINGS_GROUPS.items():
        store.store(group=f"schema/{group}", name="default", node=schema)
    for group, kinds in KIND_GROUPS.items():
        for kind, schema in kinds.items():
            store.store(group=f"schema/{group}", name=kind, node=schema)
