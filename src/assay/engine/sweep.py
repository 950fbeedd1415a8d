"""Sweeps: every job of a batch compiled, checked and merged into one plan, then run once.

A sweep is prepared completely before anything runs, so a config error in any job
stops the sweep with every job's problems listed. Jobs are reported one by one as
soon as all their nodes are done, so a sweep killed half-way leaves the finished
jobs complete.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import functools
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from omegaconf import OmegaConf

from assay.compiler import PipelineSpec
from assay.config.project import Project
from assay.config.secrets import redact_overrides
from assay.config.sections import section
from assay.engine.execute import (
    RunReport,
    allowed_pickles,
    begin_run,
    executor_settings,
    new_run_id,
    record_run,
    run_tasks,
)
from assay.engine.merge import MergedPlan, merge_plans
from assay.engine.prepare import PreparedRun, prepare
from assay.engine.registration import register_run
from assay.errors import ConfigError, Problem, UserError
from assay.executor import Callbacks, Executor, TaskOutcome
from assay.executor.cache import CACHED, RUN, NodeStatus
from assay.registry.lineage import code_state
from assay.store import Store

if TYPE_CHECKING:
    from omegaconf import DictConfig

DEFAULT_OBJECTIVES = {"classification": "roc_auc", "regression": "r2"}


@dataclass(frozen=True)
class SweepJob:
    """One job of a sweep: its number, its overrides and its composed config."""

    num: int
    overrides: tuple[str, ...]
    cfg: DictConfig

    def describe(self) -> str:
        """``#3 (model=ridge split.seed=1)``."""
        return f"#{self.num} ({' '.join(redact_overrides(self.overrides)) or 'no overrides'})"


@dataclass
class PreparedSweep:
    """Every job compiled, the merged plan and what of it is cached."""

    jobs: list[SweepJob]
    prepared: list[PreparedRun]
    merged: MergedPlan
    statuses: dict[str, NodeStatus]
    store: Store
    executor: dict[str, Any]
    objective: str | None
    direction: str

    @property
    def to_run(self) -> list[str]:
        """Merged node ids that must run, in plan order."""
        return [n for n in self.merged.plan.order() if self.statuses[n].status == RUN]

    @property
    def cached_nodes(self) -> int:
        """Merged nodes that come from the store."""
        return sum(1 for s in self.statuses.values() if s.status == CACHED)

    def job_nodes(self, index: int) -> dict[str, str]:
        """Job node id → merged node id, for the job at ``index``."""
        return self.merged.mappings[index]

    def job_view(self, index: int) -> PreparedRun:
        """The job's prepared run with the sweep's cache decisions."""
        mapping = self.job_nodes(index)
        statuses = {node: self.statuses[merged] for node, merged in mapping.items()}
        return dataclasses.replace(self.prepared[index], statuses=statuses)


@dataclass
class JobResult:
    """How one job of a sweep ended."""

    job: SweepJob
    run: RunReport
    objective: str | None
    value: float | None

    @property
    def ok(self) -> bool:
        """Whether every node of the job ran or came from cache."""
        return self.run.ok

    @property
    def status(self) -> str:
        """``succeeded``, ``failed`` (a step failed) or ``not run`` (the sweep stopped first)."""
        if self.ok:
            return "succeeded"
        return "failed" if self.run.failures else "not run"


@dataclass
class SweepReport:
    """What happened in one batch of a sweep."""

    sweep_id: str
    results: list[JobResult]
    outcomes: dict[str, TaskOutcome]
    duration: float
    executor: str = ""
    failures: list[JobResult] = field(default_factory=list)


def prepare_sweep(batch: Iterable[SweepJob], project: Project,
                  on_work: Callable[[DictConfig], None] | None = None) -> PreparedSweep:
    """Validates and compiles every job, then merges their plans.

    Args:
        batch: The jobs of the batch; a generator may compose each job as it is asked
            for, so that ``on_work`` can fire once the first job is compiled.
        project: Where configs and pipelines come from.
        on_work: Called once, with the job's config, as soon as a job turns out to have
            a node to run (so the sweep will run something): a launcher starts its
            cluster then, while the other jobs compose and compile.

    Raises:
        UserError: listing the problems of every job that has any, before anything runs.
    """
    problems: list[Problem] = []
    prepared: list[PreparedRun] = []
    jobs: list[SweepJob] = []
    store: Store | None = None
    checked: dict[str, bool] = {}
    specs: dict[Path, PipelineSpec] = {}
    for job in batch:
        jobs.append(job)
        try:
            run = prepare(job.cfg, project, store, checked, specs)
        except UserError as error:
            problems.extend(
                dataclasses.replace(p, message=f"job {job.describe()}: {p.message}")
                for p in error.problems
            )
            continue
        store = run.store
        prepared.append(run)
        if on_work is not None and run.to_run:
            on_work(job.cfg)
            on_work = None
    if problems:
        raise ConfigError(problems)
    assert store is not None
    _check_shared(jobs, prepared)
    merged = merge_plans([p.plan for p in prepared])
    statuses: dict[str, NodeStatus] = {}
    for run, mapping in zip(prepared, merged.mappings, strict=True):
        for node, merged_id in mapping.items():
            status = run.statuses[node]
            if merged_id not in statuses or status.status == RUN:
                statuses[merged_id] = status
    sweep = section(jobs[0].cfg, "sweep")
    return PreparedSweep(jobs, prepared, merged, statuses, store,
                         sweep_executor_settings(jobs[0].cfg), sweep["objective"],
                         sweep["direction"])


def sweep_executor_settings(cfg: DictConfig) -> dict[str, Any]:
    """The executor a sweep runs on: the config's, with the sweep's failure policy."""
    settings = executor_settings(cfg)
    settings["on_error"] = section(cfg, "sweep")["on_error"]
    return settings


def _check_shared(jobs: Sequence[SweepJob], prepared: Sequence[PreparedRun]) -> None:
    """All jobs of a sweep run on one executor and one store."""
    problems = []
    first = jobs[0]
    for group in ("executor", "store"):
        reference = OmegaConf.to_container(first.cfg[group], resolve=True)
        for job in jobs[1:]:
            if OmegaConf.to_container(job.cfg[group], resolve=True) != reference:
                problems.append(
                    Problem(
                        f"job {job.describe()} changes '{group}', which every job of a sweep "
                        "shares",
                        key=group,
                        expected=f"the same {group} settings in every job",
                        hint=f"sweep over {group} settings in separate sweeps",
                    )
                )
                break
    if problems:
        raise ConfigError(problems)


def execute_sweep(
    sweep: PreparedSweep,
    on_job_done: Callable[[int, JobResult], None],
    *,
    output_dirs: Mapping[int, Path] | None = None,
    announce: Callable[[str], None] | None = None,
    progress_stream: TextIO | None = None,
    ready: Callable[[], Executor | None] | None = None,
) -> SweepReport:
    """Runs the merged plan; calls ``on_job_done(index, result)`` as each job completes.

    Jobs whose nodes are all cached complete before anything is submitted; the others
    complete as soon as their last node finishes (or once the run stops). ``ready``,
    asked just before the tasks are submitted, gives an executor already started for
    the sweep's settings (None: one is made then).
    """
    sweep_id = new_run_id()
    started_wall, started = time.time(), time.perf_counter()
    outcomes: dict[str, TaskOutcome] = {}
    pending = [
        {merged for merged in sweep.job_nodes(i).values() if sweep.statuses[merged].status == RUN}
        for i in range(len(sweep.jobs))
    ]
    results: dict[int, JobResult] = {}
    code = LazyCodeState(sweep.prepared[0].project.root) if sweep.prepared else None

    def complete(index: int) -> None:
        results[index] = _job_result(sweep, index, outcomes, started_wall,
                                     (output_dirs or {}).get(index), code)
        on_job_done(index, results[index])

    def finished(outcome: TaskOutcome) -> None:
        outcomes[outcome.node] = outcome
        for index, waiting in enumerate(pending):
            if outcome.node in waiting:
                waiting.discard(outcome.node)
                if not waiting and index not in results:
                    complete(index)

    for index, waiting in enumerate(pending):
        if not waiting:
            complete(index)
    description = ""
    try:
        _, description = run_tasks(
            sweep.merged.plan, sweep.to_run, sweep.store, sweep.executor, sweep_id,
            callbacks=Callbacks(finished=finished), progress_stream=progress_stream,
            announce=announce, ready=ready() if ready is not None else None,
            allow_pickle=allowed_pickles([job.cfg for job in sweep.jobs]),
        )
    finally:
        for index in range(len(sweep.jobs)):
            if index not in results:
                complete(index)  # stopped early: its remaining nodes never ran
    ordered = [results[i] for i in range(len(sweep.jobs))]
    return SweepReport(sweep_id, ordered, outcomes, time.perf_counter() - started, description,
                       [r for r in ordered if not r.ok])


class LazyCodeState(Mapping[str, Any]):
    """The project's git state, read on first use and then shared by every job.

    Registration reads it only when a job's model version is new; a sweep whose
    versions all exist never asks git.
    """

    def __init__(self, root: Path) -> None:
        self._read = functools.cache(lambda: code_state(root))

    def __getitem__(self, key: str) -> Any:
        return self._read()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._read())

    def __len__(self) -> int:
        return len(self._read())


def _job_result(
    sweep: PreparedSweep,
    index: int,
    outcomes: Mapping[str, TaskOutcome],
    started: float,
    output_dir: Path | None,
    code: Mapping[str, Any] | None,
) -> JobResult:
    job = sweep.jobs[index]
    view = sweep.job_view(index)
    mapping = sweep.job_nodes(index)
    job_outcomes = {
        node: _renamed(outcomes[merged], node) for node, merged in mapping.items()
        if merged in outcomes
    }
    # A node of the job that had to run and has no outcome: the sweep stopped first.
    stopped = any(view.statuses[node].status == RUN and node not in job_outcomes
                  for node in mapping)
    run_id = new_run_id()
    begin_run(view, run_id, job.overrides, output_dir, started=started)
    report = record_run(view, run_id, job_outcomes, time.time() - started, "",
                        "stopped" if stopped else None)
    report.registrations = register_run(view, run_id, report.records, job.overrides, code)
    # data.task: auto is left to the target column when the model's kind cannot be read
    # before running: the metrics the job measured then say which task it was.
    objective = sweep.objective or DEFAULT_OBJECTIVES.get(str(job.cfg.data.get("task"))) or next(
        (m for m in DEFAULT_OBJECTIVES.values() if m in report.metrics), None)
    value = report.metrics.get(objective) if objective else None
    return JobResult(job, report, objective, float(value) if isinstance(value, int | float) else None)


def _renamed(outcome: TaskOutcome, node: str) -> TaskOutcome:
    """An outcome of the merged plan as seen from one job: named by the job's node id."""
    failure = dataclasses.replace(outcome.failure, node=node) if outcome.failure else None
    return dataclasses.replace(outcome, node=node, failure=failure)


class EarlyExecutor:
    """Starts a sweep's embedded LocalCluster in the background once it will be needed.

    Starting one takes a second or two. It starts as soon as the first job with a node
    to run is compiled (``prepare_sweep``'s ``on_work``), overlapping the compilation of
    the other jobs; a sweep whose every node is cached never starts one.
    """

    def __init__(self) -> None:
        self.settings: dict[str, Any] = {}
        self._future: concurrent.futures.Future[Executor] | None = None

    def start(self, cfg: DictConfig) -> None:
        """Starts the executor of the (validated) job config ``cfg`` when it is a LocalCluster."""
        from assay.executor import make_executor, resolve_kind

        settings = sweep_executor_settings(cfg)
        if self._future is not None or resolve_kind(settings) != "local":
            return  # other executors start in no time when the tasks are submitted
        self.settings = settings
        pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="assay-start")
        self._future = pool.submit(make_executor, settings)
        pool.shutdown(wait=False)

    def take(self, settings: Mapping[str, Any]) -> Executor | None:
        """The started executor if it matches ``settings`` (else it is closed); None if none."""
        future, self._future = self._future, None
        if future is None:
            return None
        executor = future.result()
        if dict(settings) == self.settings:
            return executor
        executor.close()
        return None

    def discard(self) -> None:
        """Closes the executor once it has started (the sweep will not use it)."""
        future, self._future = self._future, None
        if future is not None:
            future.add_done_callback(lambda done: done.exception() or done.result().close())
