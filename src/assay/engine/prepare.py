"""From a composed config to a plan whose every node knows whether it will run."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from assay.compiler import PipelineSpec, Plan, compile_plan, load_spec
from assay.config.compose import origin_of
from assay.config.project import Project
from assay.config.validate import ConfigOrigin, validate_config
from assay.engine.gpus import check_gpus
from assay.executor.cache import RUN, NodeStatus, decide
from assay.executor.gpus import planned_gpus
from assay.steps import default_catalog
from assay.store import Store

if TYPE_CHECKING:
    from omegaconf import DictConfig

log = logging.getLogger(__name__)


@dataclass
class PreparedRun:
    """A validated config, its compiled plan and the cache status of every node."""

    cfg: DictConfig
    project: Project
    origin: ConfigOrigin
    spec: PipelineSpec
    plan: Plan
    statuses: dict[str, NodeStatus]
    store: Store

    @property
    def to_run(self) -> list[str]:
        """Ids of the nodes that must run, in plan order."""
        return [n for n in self.plan.order() if self.statuses[n].status == RUN]


def prepare(
    cfg: DictConfig,
    project: Project,
    store: Store | None = None,
    checked: dict[str, bool] | None = None,
    specs: dict[Path, PipelineSpec] | None = None,
) -> PreparedRun:
    """Validates ``cfg``, compiles its pipeline and decides what is cached.

    Args:
        cfg: The composed config.
        project: Where configs and pipelines come from.
        store: An open store to reuse (the jobs of a sweep share one).
        checked: Verified fingerprints, shared between the jobs of a sweep.
        specs: Pipeline specs already read, by path, shared between the jobs of a sweep.

    Raises:
        ConfigError, PipelineError, CompileError: for invalid input, before anything runs.
    """
    origin = origin_of(cfg, project)
    validate_config(cfg, origin)
    path = project.pipeline_path(cfg.pipeline, origin.where("pipeline"))
    spec = specs.get(path) if specs is not None else None
    if spec is None:
        spec = load_spec(path)
        if specs is not None:
            specs[path] = spec
    catalog, plugin_problems = default_catalog()
    for problem in plugin_problems:
        log.warning("%s", problem)
    root = project.root / str(cfg.store.root)
    if store is None or store.root != root.absolute():
        store = Store(root)
    plan = compile_plan(
        spec, cfg, catalog, hash_file=store.hash_file, base_dir=project.root, origin=origin
    )
    statuses = decide(plan, store, checked)
    run = PreparedRun(cfg, project, origin, spec, plan, statuses, store)
    check_gpus(plan, run.to_run, lambda: _planned_gpus(cfg), origin)
    return run


def _planned_gpus(cfg: DictConfig) -> int | None:
    """GPUs the job's executor will have (asked only when a node to run needs one)."""
    from assay.engine.execute import executor_settings  # execute imports this module

    return planned_gpus(executor_settings(cfg))

