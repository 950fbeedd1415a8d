"""``assay run``: a Hydra app whose task compiles the pipeline and runs it."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assay.config.project import Project, locate_project

DEFAULT_EXECUTOR = "auto"
"""The ``executor`` option of the shipped config.yaml."""

if TYPE_CHECKING:
    from omegaconf import DictConfig


def run_command(args: list[str]) -> int:
    """Runs the Hydra app with ``args`` (overrides and Hydra flags)."""
    from assay.config.compose import check_override_values, check_overrides

    project = locate_project()
    make_importable(project.root)
    check_overrides([a for a in args if "=" in a and not a.startswith("-")])
    executor = likely_executor(args)
    if executor in ("auto", "local", "processes"):
        from assay.executor import resolve_kind
        from assay.executor.worker_server import start_worker_server

        # Worker processes fork from a server that imports their libraries (~1.5 s);
        # starting it first thing overlaps that with Hydra, composing and compiling.
        start_worker_server(for_cluster=resolve_kind({"kind": executor}) == "local")
    import hydra

    from assay.cli.hydra_errors import remember
    from assay.compiler.allowed_targets import check_hydra_overrides

    overrides = [a for a in args if "=" in a and not a.startswith("-")]
    check_hydra_overrides(overrides)
    check_override_values(project, overrides)
    from assay.config.schema import register_schemas

    register_schemas()
    remember(project, overrides)

    errors: list[Exception] = []
    configs: list[DictConfig] = []  # each run's config, or each sweep batch's (the launcher's)
    pipeline = pipeline_task(project)

    def task(cfg: DictConfig) -> Any:
        # Errors are kept and raised after Hydra returns, so they are reported once,
        # by the command line, instead of also by Hydra's own job error printer.
        try:
            result = pipeline(cfg)
            configs.append(cfg)
            return result
        except Exception as error:
            errors.append(error)
            return None

    task.assay_project = project  # type: ignore[attr-defined]
    task.assay_sweep_configs = configs  # type: ignore[attr-defined]
    app = hydra.main(config_path=str(project.config_dir), config_name="config",
                     version_base="1.3")(task)
    with _hydra_argv(args), _errors_raised():
        app()
    if errors:
        raise errors[0]
    from assay.cli.report import report_settings

    settings = report_settings(configs[0]) if configs else None
    if settings is not None and settings["build"]:
        build_report_after_run(project, settings)
    return 0


def likely_executor(args: list[str]) -> str | None:
    """The executor kind a run with ``args`` will most likely use; None: nothing runs.

    Hydra's informational flags (``--cfg``, ``--help``, ...) run nothing; otherwise an
    ``executor=`` override decides, or the shipped default. A project whose config picks
    another executor only costs a worker server started for nothing, ended at exit.
    """
    executor = DEFAULT_EXECUTOR
    for arg in args:
        if arg.startswith("-") and arg not in ("-m", "--multirun"):
            return None
        key, _, value = arg.lstrip("+~").partition("=")
        if key == "executor":
            executor = value
    return executor


def build_report_after_run(project: Project, settings: dict[str, Any]) -> None:
    """Rebuilds the report site after a run (``report.build=true``)."""
    from assay.cli.report import build_site
    from assay.store import Store

    store = Store(project.root / settings["store"])
    try:
        build_site(store, project.root / str(settings["out"]), int(settings["resamples"]),
                   key="report.out", verb="rebuilt")
    finally:
        store.close()


def pipeline_task(project: Project) -> Callable[[DictConfig], dict[str, Any]]:
    """The Hydra task function of ``project``'s pipelines.

    It carries the project as ``assay_project``, which tells the assay launcher that
    a sweep's jobs are pipelines it can merge into one plan.
    """

    def task(cfg: DictConfig) -> dict[str, Any]:
        return run_job(cfg, project)

    task.assay_project = project  # type: ignore[attr-defined]
    return task


def run_job(cfg: DictConfig, project: Project) -> dict[str, Any]:
    """One job: prepare, execute, print the summary; returns the run's metrics."""
    from hydra.core.hydra_config import HydraConfig

    from assay.cli.summary import print_run_summary
    from assay.compiler.collector import freeze_long_lived
    from assay.engine import execute, prepare, raise_for_failures
    from assay.engine.registration import raise_for_refusals

    hydra_cfg = HydraConfig.get()
    overrides = list(hydra_cfg.overrides.task)
    prepared = prepare(cfg, project)
    freeze_long_lived()
    report = execute(
        prepared,
        overrides=overrides,
        output_dir=Path(hydra_cfg.runtime.output_dir),
        announce=lambda text: print(f"assay: {len(prepared.to_run)} steps to run on {text}",
                                    flush=True),
    )
    print_run_summary(report, prepared)
    raise_for_failures(report, overrides)
    raise_for_refusals(report.registrations, cfg)
    return report.metrics


def make_importable(root: Path) -> None:
    """Project-local step modules (``uses: mysteps:clean``) import like any module."""
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))


@contextlib.contextmanager
def _hydra_argv(args: list[str]) -> Iterator[None]:
    saved = sys.argv
    sys.argv = ["assay run", *args]
    try:
        yield
    finally:
        sys.argv = saved


@contextlib.contextmanager
def _errors_raised() -> Iterator[None]:
    """Makes Hydra re-raise errors so the command line reports them in one place."""
    saved = os.environ.get("HYDRA_FULL_ERROR")
    os.environ["HYDRA_FULL_ERROR"] = "1"
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("HYDRA_FULL_ERROR", None)
        else:
            os.environ["HYDRA_FULL_ERROR"] = saved
