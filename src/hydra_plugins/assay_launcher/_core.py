"""What the launcher does with a batch of jobs.

An assay pipeline batch: compose every job's config, compile and check them all
(any problem stops the batch before anything runs), merge the plans, run the merged
plan on the configured executor, and hand each job to Hydra's ``run_job`` as soon as
its nodes are done, so every job keeps Hydra's output directory, ``.hydra/`` files,
job number and ``JobReturn`` (whose value is the job's metrics).

Any other task function: every job composed here first (sharing bases, as pipeline
jobs do), then one Dask task per job calling Hydra's ``run_job`` in a worker, as Hydra's
own process-based launchers do.
"""

from __future__ import annotations

import contextlib
import logging
import pickle
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hydra.core.hydra_config import HydraConfig
from hydra.core.singleton import Singleton
from hydra.core.utils import JobReturn, configure_log, filter_overrides, run_job, setup_globals
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf

if TYPE_CHECKING:
    from assay.engine.sweep import EarlyExecutor, JobResult, SweepJob
    from hydra_plugins.assay_launcher.launcher import AssayLauncher

log = logging.getLogger(__name__)

PROJECT_ATTRIBUTE = "assay_project"
"""Set on the ``assay run`` task function: its jobs are assay pipelines of this project."""
SWEEP_CONFIGS_ATTRIBUTE = "assay_sweep_configs"
"""A list the ``assay run`` task function may carry: each batch's sweep config is added to
it, so the command can read settings (such as ``report``) after the launcher returns."""


def launch(launcher: AssayLauncher, job_overrides: Sequence[Sequence[str]],
           initial_job_idx: int) -> Sequence[JobReturn]:
    """Runs one batch of jobs; returns a JobReturn per job, in order."""
    setup_globals()
    assert launcher.config is not None and launcher.hydra_context is not None
    assert launcher.task_function is not None
    configure_log(launcher.config.hydra.hydra_logging, launcher.config.hydra.verbose)
    Path(str(launcher.config.hydra.sweep.dir)).mkdir(parents=True, exist_ok=True)
    log.info("Launching %d jobs on Dask", len(job_overrides))
    from assay.config.secrets import redact_overrides  # a credential's value shows as ***

    for index, overrides in enumerate(job_overrides):
        log.info("\t#%d : %s", initial_job_idx + index,
                 " ".join(redact_overrides(filter_overrides(overrides))))
    project = getattr(launcher.task_function, PROJECT_ATTRIBUTE, None)
    if project is None:
        return _launch_task_functions(launcher, job_overrides, initial_job_idx)
    from assay.engine.sweep import SweepJob

    _check_sweeper_direction(launcher.config)  # before any job is composed or compiled
    getattr(launcher.task_function, SWEEP_CONFIGS_ATTRIBUTE, []).append(launcher.config)
    _start_worker_server_early(launcher.config)
    composer = launcher.composer()
    # Composed one by one as the sweep compiles them, so that its cluster starts as soon
    # as the first job turns out to have work (a Hydra error still stops the batch
    # before anything runs).
    jobs = (SweepJob(initial_job_idx + index, tuple(o),
                     composer.compose(initial_job_idx + index, o))
            for index, o in enumerate(job_overrides))
    return _launch_pipelines(launcher, project, jobs, len(job_overrides))


def _start_worker_server_early(config: DictConfig) -> None:
    """Local worker processes import their libraries while the jobs compile.

    Only the forkserver starts here (unless ``assay run`` started it already); a cluster
    waits until some job has a node to run (a fully cached sweep needs none).
    """
    from omegaconf.errors import OmegaConfBaseException

    from assay.executor import resolve_kind
    from assay.executor.worker_server import start_worker_server

    try:
        kind = resolve_kind(OmegaConf.to_container(config.executor, resolve=True))
    except (OmegaConfBaseException, KeyError, TypeError, ValueError):
        return  # an invalid executor group is reported with the jobs' other problems
    if kind in ("local", "processes"):
        start_worker_server(for_cluster=kind == "local")


# ---------------------------------------------------------------------- assay pipelines


def _launch_pipelines(launcher: AssayLauncher, project: Any, jobs: Iterable[SweepJob],
                      count: int) -> list[JobReturn]:
    from assay.engine.sweep import EarlyExecutor

    early = EarlyExecutor()  # started by the first job found to have work
    try:
        return _run_pipelines(launcher, project, jobs, count, early)
    finally:
        early.discard()  # unless the sweep took it


def _run_pipelines(launcher: AssayLauncher, project: Any, jobs: Iterable[SweepJob],
                   count: int, early: EarlyExecutor) -> list[JobReturn]:
    from assay.cli.sweep_summary import print_leaderboard, print_sweep_plan
    from assay.engine.leaderboard import leaderboard, record_batch
    from assay.engine.sweep import execute_sweep, prepare_sweep

    # Every job is checked before any job runs.
    sweep = prepare_sweep(jobs, project, on_work=early.start)
    assert len(sweep.jobs) == count
    print_sweep_plan(sweep)
    returns: dict[int, JobReturn] = {}
    output_dirs = {index: _output_dir(job.cfg) for index, job in enumerate(sweep.jobs)}
    wants_float = _optimising_sweeper(launcher.config)

    def done(index: int, result: JobResult) -> None:
        returns[index] = _finish_job(launcher, result, output_dirs[index], wants_float)

    report = execute_sweep(
        sweep, done, output_dirs=output_dirs,
        ready=lambda: early.take(sweep.executor),  # closed when the settings differ
        announce=lambda text: print(f"assay: {len(sweep.to_run)} steps to run on {text}",
                                    flush=True),
    )
    assert launcher.config is not None
    sweep_id = record_batch(sweep.store, str(launcher.config.hydra.sweep.dir), sweep, report)
    print_leaderboard(report, leaderboard(sweep.store, sweep_id))
    return [returns[index] for index in range(count)]


def _check_sweeper_direction(config: DictConfig) -> None:
    """An optimising sweeper must optimise in the direction ``sweep.direction`` says."""
    from assay.errors import ConfigError, Problem

    declared = OmegaConf.select(config, "hydra.sweeper.direction", default=None)
    if declared is None or isinstance(declared, list | tuple) or OmegaConf.is_list(declared):
        return
    name = str(getattr(declared, "name", declared)).lower()
    direction = _sweep_direction(config)
    if direction is not None and name != direction:
        raise ConfigError(
            Problem(
                f"the sweeper would {name} the objective, but sweep.direction is {direction}",
                key="hydra.sweeper.direction",
                expected=direction,
                got=name,
                hint=f"add hydra.sweeper.direction={direction} (or set sweep.direction={name})",
            )
        )


def _sweep_direction(config: DictConfig) -> str | None:
    """The sweep's ``sweep.direction``; None while its section is invalid."""
    from omegaconf.errors import OmegaConfBaseException

    from assay.config.sections import section

    try:
        return str(section(config, "sweep")["direction"])
    except OmegaConfBaseException:  # reported with every job's problems once they compile
        return None


_INTERPOLATION = re.compile(r"\$\{\s*([^}]*)\}")


def _output_dir(cfg: DictConfig) -> Path:
    """The job's output directory, as Hydra's ``run_job`` will make it.

    Its ``hydra.sweep`` paths may read the job's own Hydra config (``${hydra:...}``,
    or through other keys), so that config is set while they are resolved, unless they
    only use the clock and the job's own fields (Hydra's defaults): setting it copies
    Hydra's node, 5-8 ms a job.
    """

    def resolved() -> Path:
        subdir = OmegaConf.select(cfg, "hydra.sweep.subdir")
        return Path(str(OmegaConf.select(cfg, "hydra.sweep.dir"))) / str(subdir)

    raw = str(OmegaConf.to_container(cfg.hydra.sweep, resolve=False))
    if all(used.startswith(("now:", "hydra.job.")) for used in _INTERPOLATION.findall(raw)):
        return resolved()
    instance = HydraConfig.instance()
    previous = instance.cfg
    instance.set_config(cfg)
    try:
        return resolved()
    finally:
        instance.cfg = previous


def _optimising_sweeper(config: DictConfig | None) -> bool:
    """Optimising sweepers (Optuna, ...) need a number back from each job, not a mapping."""
    target = str(OmegaConf.select(config, "hydra.sweeper._target_", default="") or "")
    return "BasicSweeper" not in target and "AssaySweeper" not in target and bool(target)


def _finish_job(launcher: AssayLauncher, result: JobResult, output_dir: Path,
                wants_float: bool) -> JobReturn:
    """Hands a finished job to Hydra's ``run_job``: output dir, .hydra files, JobReturn."""
    from assay.engine.execute import command_line, write_metrics
    from assay.errors import StepError

    assert launcher.hydra_context is not None and launcher.config is not None

    def job_task(_: DictConfig) -> Any:
        write_metrics(result.run.metrics, output_dir)
        if result.run.failures:
            raise StepError(result.run.failures,
                            f"resume with: {command_line(result.job.overrides)}")
        if not result.ok:
            raise StepError([], f"job {result.job.describe()} did not run: the sweep stopped "
                                "at an earlier failure (sweep.on_error=fail)")
        if wants_float:
            if result.value is None:
                raise ValueError(f"job {result.job.describe()} has no value for the objective "
                                 f"'{result.objective}'; set sweep.objective to one of "
                                 f"{sorted(result.run.metrics)}")
            return Objective(result.value, result.run.metrics)
        return result.run.metrics

    job_return = run_job(
        hydra_context=launcher.hydra_context,
        task_function=job_task,
        config=result.job.cfg,
        job_dir_key="hydra.sweep.dir",
        job_subdir_key="hydra.sweep.subdir",
    )
    configure_log(launcher.config.hydra.hydra_logging, launcher.config.hydra.verbose)
    return job_return


class Objective(float):
    """The objective value for an optimising sweeper, carrying the job's metrics along."""

    metrics: dict[str, Any]

    def __new__(cls, value: float, metrics: dict[str, Any]) -> Objective:
        made = super().__new__(cls, value)
        made.metrics = metrics
        return made

    def __reduce__(self) -> tuple[Any, ...]:
        return (Objective, (float(self), self.metrics))


# ---------------------------------------------------------------------- plain task functions


def _launch_task_functions(launcher: AssayLauncher, job_overrides: Sequence[Sequence[str]],
                           initial_job_idx: int) -> list[JobReturn]:
    assert launcher.config is not None and launcher.hydra_context is not None
    assert launcher.task_function is not None
    composer = launcher.composer()  # every job composed (and any error raised) up front
    arguments = [(composer.compose(initial_job_idx + index, overrides),
                  launcher.hydra_context, launcher.task_function)
                 for index, overrides in enumerate(job_overrides)]
    if launcher.executor == "sequential":
        returns = [execute_job(*a, singleton_state=None) for a in arguments]
        configure_log(launcher.config.hydra.hydra_logging, launcher.config.hydra.verbose)
        return returns
    import cloudpickle

    state = Singleton.get_state()
    # Pickled here and unpickled by the worker only once it has scanned Hydra's plugins:
    # the scan executes each plugin's config module again, and a config unpickled before
    # it would hold config classes that are no longer the ones their modules name (so a
    # job pickling ``HydraConfig.get()`` would fail).
    payloads = [cloudpickle.dumps((*a, state)) for a in arguments]
    with _quiet_distributed(launcher.config.hydra.verbose) as quiet:
        client, cluster = _client(launcher)
        try:
            if quiet and cluster is not None:  # a shared cluster's workers are not ours
                from hydra_plugins.assay_launcher._quiet import QuietWorkerLogs

                client.register_plugin(QuietWorkerLogs())
            futures = [client.submit(execute_pickled_job, payload, pure=False)
                       for payload in payloads]
            returns = client.gather(futures, errors="raise")
        finally:
            _close(client, cluster)
    return list(returns)


@contextlib.contextmanager
def _quiet_distributed(verbose: Any) -> Iterator[bool]:
    """Dask's INFO chatter (cluster start, every worker, shutdown) stays out of the output.

    Hydra's logging sends every propagating logger to its handlers, so each batch would
    print Dask's start-up and shut-down lines (one benign shutdown race even with a
    traceback). ``hydra.verbose=distributed`` (or ``true``) keeps them; yields whether
    they are quieted.
    """
    names = [verbose] if isinstance(verbose, bool | str) else list(verbose or [])
    if verbose is True or any(str(n).split(".")[0] == "distributed" for n in names):
        yield False
        return
    logger = logging.getLogger("distributed")
    previous = logger.level
    if logger.getEffectiveLevel() < logging.WARNING:
        logger.setLevel(logging.WARNING)
    try:
        yield True
    finally:
        logger.setLevel(previous)


def _close(client: Any, cluster: Any) -> None:
    """Closes the client, then the cluster it created (a shared cluster stays up)."""
    try:
        client.close()
    finally:
        if cluster is not None:
            cluster.close()


def _client(launcher: AssayLauncher) -> tuple[Any, Any]:
    from assay.errors import ConfigError, Problem
    from assay.executor.dask_import import import_distributed
    from assay.executor.distributed import dashboard_options

    import_distributed()
    from distributed import Client, LocalCluster

    if launcher.executor == "dask":
        if not launcher.address:
            raise ConfigError(Problem("executor=dask needs the scheduler's address",
                                      key="hydra.launcher.address",
                                      hint="add hydra.launcher.address=tcp://HOST:8786"))
        return Client(launcher.address), None
    if launcher.executor != "local":
        raise ConfigError(Problem(f"unknown launcher executor {launcher.executor!r}",
                                  key="hydra.launcher.executor",
                                  expected="'local', 'dask' or 'sequential'"))
    cluster = LocalCluster(n_workers=launcher.n_workers, threads_per_worker=1, processes=True,
                           host="127.0.0.1", **dashboard_options(None))
    return Client(cluster), cluster


def execute_pickled_job(payload: bytes) -> JobReturn:
    """A job sent to a Dask worker: plugins scanned first, then its config unpickled.

    Args:
        payload: ``(config, hydra_context, task_function, singleton_state)``, pickled.
    """
    from assay._compat import hydra_plugins_scanned, hydra_set_state_keeping_plugins

    hydra_plugins_scanned()
    config, hydra_context, task_function, state = pickle.loads(payload)  # made by this launcher
    hydra_set_state_keeping_plugins(state)
    return execute_job(config, hydra_context, task_function, singleton_state=None)


def execute_job(config: DictConfig, hydra_context: HydraContext, task_function: TaskFunction,
                singleton_state: dict[Any, Any] | None) -> JobReturn:
    """One job of a plain task function, from its composed config, in a worker (or here)."""
    setup_globals()
    if singleton_state is not None:
        Singleton.set_state(singleton_state)
    HydraConfig.instance().set_config(config)
    return run_job(
        hydra_context=hydra_context,
        task_function=task_function,
        config=config,
        job_dir_key="hydra.sweep.dir",
        job_subdir_key="hydra.sweep.subdir",
    )
