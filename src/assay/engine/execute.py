"""Running a prepared plan: submit what is not cached, record everything."""

from __future__ import annotations

import json
import secrets
import shlex
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from omegaconf import OmegaConf

from assay.compiler.plan import Plan
from assay.config.secrets import Redactor, redact_overrides, redactor_for
from assay.engine.gpus import check_gpus
from assay.engine.prepare import PreparedRun
from assay.engine.registration import REGISTER_STEP, Registration, register_run
from assay.errors import CorruptArtifactError, StepError, StepFailure, StoreError
from assay.executor import (
    Callbacks,
    Executor,
    InputSpec,
    TaskGraph,
    TaskOutcome,
    TaskSpec,
    make_executor,
)
from assay.executor.cache import CACHED
from assay.executor.progress import Progress
from assay.store import Store, TaskRecord


@dataclass
class RunReport:
    """What happened in one run."""

    run_id: str
    pipeline: str
    records: list[TaskRecord]
    metrics: dict[str, Any]
    duration: float
    executor: str = ""
    failures: list[StepFailure] = field(default_factory=list)
    aborted: bool = False  # ended by an exception (interrupt, lost cluster) rather than by its tasks
    registrations: list[Registration] = field(default_factory=list)

    def count(self, status: str) -> int:
        """How many nodes ended with ``status`` (ran, cached, failed, skipped)."""
        return sum(1 for r in self.records if r.status == status)

    @property
    def ok(self) -> bool:
        """Whether every node ran or came from cache."""
        return not self.failures and not self.aborted


def new_run_id() -> str:
    """A sortable, unique run id: ``YYYYmmdd-HHMMSS-xxxxxx``."""
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3)


def execute(
    prepared: PreparedRun,
    *,
    overrides: Sequence[str] = (),
    output_dir: Path | None = None,
    progress_stream: TextIO | None = None,
    announce: Callable[[str], None] | None = None,
) -> RunReport:
    """Runs every node that is not cached and records the run in the store.

    Args:
        prepared: The compiled plan with cache statuses.
        overrides: The command-line overrides (recorded, and used in the resume hint).
        output_dir: The Hydra job's output directory; ``metrics.json`` is written there.
        progress_stream: Where the live progress line goes (default stderr).
        announce: Called with a one-line description of the executor before running.
    """
    run_id = new_run_id()
    started = time.perf_counter()
    begin_run(prepared, run_id, overrides, output_dir)
    outcomes: dict[str, TaskOutcome] = {}
    description = ""
    aborted: str | None = None  # "interrupted" or "failed" when the run ends by an exception
    try:
        outcomes, description = run_tasks(
            prepared.plan, prepared.to_run, prepared.store, executor_settings(prepared.cfg),
            run_id, progress_stream=progress_stream, announce=announce,
            allow_pickle=allowed_pickles([prepared.cfg]),
        )
    except KeyboardInterrupt:
        aborted = "interrupted"
        raise
    except BaseException:
        aborted = "failed"
        raise
    finally:
        report = record_run(prepared, run_id, outcomes, time.perf_counter() - started,
                            description, aborted)
    write_metrics(report.metrics, output_dir)
    report.registrations = register_run(prepared, run_id, report.records, overrides)
    return report


def allowed_pickles(configs: Sequence[Any]) -> tuple[str, ...]:
    """The ``security.allow_pickle`` entries of ``configs`` (a sweep's jobs), in order."""
    entries = (OmegaConf.select(cfg, "security.allow_pickle", default=None) or () for cfg in configs)
    return tuple(dict.fromkeys(str(e) for listed in entries for e in listed))


def executor_settings(cfg: Any) -> dict[str, Any]:
    """The ``executor`` group as plain data."""
    settings = OmegaConf.to_container(cfg.executor, resolve=True)
    assert isinstance(settings, dict)
    return settings  # type: ignore[return-value]


def run_tasks(
    plan: Plan,
    to_run: Sequence[str],
    store: Store,
    settings: Mapping[str, Any],
    run_id: str,
    *,
    callbacks: Callbacks | None = None,
    progress_stream: TextIO | None = None,
    announce: Callable[[str], None] | None = None,
    ready: Executor | None = None,
    allow_pickle: Sequence[str] = (),
) -> tuple[dict[str, TaskOutcome], str]:
    """Runs the nodes ``to_run`` of ``plan`` on the executor ``settings`` describe.

    Returns the outcome of every task that finished and a description of the executor.
    ``callbacks`` are called, in this thread, besides the progress display. ``ready``
    is an executor made earlier for these settings (a sweep starts its cluster while it
    compiles); it is closed here either way. ``allow_pickle`` is the config's
    ``security.allow_pickle``: what stored models may name besides assay's own list.
    """
    store.artifacts.clean_scratch()
    if not to_run:
        if ready is not None:
            ready.close()
        return {}, ""
    graph = task_graph(plan, to_run, store, run_id, allow_pickle)
    progress = Progress(len(plan), len(plan) - len(graph.tasks), progress_stream)
    extra = callbacks or Callbacks()

    def started(node: str) -> None:
        progress.started(node)
        extra.started(node)

    def finished(outcome: TaskOutcome) -> None:
        progress.finished(outcome)
        extra.finished(outcome)

    with ready or make_executor(settings) as executor:
        check_gpus(plan, to_run, executor.gpu_capacity)
        description = executor.describe()
        if announce:
            announce(description)
        try:
            return executor.run(graph, Callbacks(started, finished)), description
        finally:
            progress.close()


def task_graph(plan: Plan, to_run: Sequence[str], store: Store, run_id: str,
               allow_pickle: Sequence[str] = ()) -> TaskGraph:
    """The tasks for the nodes that must run; cached producers are read from the store.

    Every task trusts, when it unpickles its inputs, the ``allow_pickle`` entries and the
    classes the plan's ``_target_`` entries name (they passed the compiler's checks).
    """
    from assay.registry.loading import config_targets
    from assay.store.safe_pickle import Allowance

    trust = Allowance.parse(allow_pickle, targets=config_targets([n.params for n in plan]))
    running = set(to_run)
    tasks = {}
    for node_id in to_run:
        node = plan.node(node_id)
        inputs = tuple(
            InputSpec(b.name, tuple((plan.node(s.node).fingerprint, s.output) for s in b.sources),
                      b.many)
            for b in node.inputs
        )
        tasks[node_id] = TaskSpec(
            node=node_id,
            step=node.step,
            reference=node.reference,
            fingerprint=node.fingerprint,
            params=node.params,
            inputs=inputs,
            outputs=node.outputs,
            store_root=str(store.root),
            log_path=str(store.logs_dir(run_id) / f"{node_id}.log"),
            info={"run_id": run_id, "pipeline": plan.pipeline, "components": node.components},
            config_keys=node.config_keys,
            resources=node.resources.as_dask(),
            trust=trust,
        )
    depends = {n: tuple(p for p in plan.producers(n) if p in running) for n in to_run}
    return TaskGraph(tasks, depends, tuple(to_run))


def begin_run(
    prepared: PreparedRun,
    run_id: str,
    overrides: Sequence[str],
    output_dir: Path | None,
    started: float | None = None,
) -> None:
    """Records a run as started, with its command, overrides and config (secrets as ***)."""
    redactor = redactor_for(prepared.cfg)
    recorded = redactor.overrides(overrides)
    prepared.store.metadata.start_run(
        run_id, prepared.plan.pipeline, command_line(recorded), recorded,
        redactor.config_yaml(prepared.cfg, resolve=False),
        str(output_dir) if output_dir else None, len(prepared.plan), started=started,
    )


def write_metrics(metrics: Mapping[str, Any], output_dir: Path | None) -> None:
    """Writes ``metrics.json`` into the job's output directory."""
    if output_dir is not None and metrics:
        (output_dir / "metrics.json").write_text(json.dumps(metrics, indent=1))


def record_run(
    prepared: PreparedRun,
    run_id: str,
    outcomes: Mapping[str, TaskOutcome],
    duration: float,
    description: str,
    aborted: str | None,
) -> RunReport:
    """Records how every node of a run ended; ``outcomes`` are keyed by the plan's node ids."""
    plan, store, statuses = prepared.plan, prepared.store, prepared.statuses
    redactor = redactor_for(prepared.cfg)
    for outcome in outcomes.values():
        if outcome.failure is not None:  # what a step raised may quote a credential
            outcome.failure.message = redactor.text(outcome.failure.message)
            outcome.failure.traceback = redactor.text(outcome.failure.traceback)
            _redact_file(outcome.failure.log_path, redactor)
    records = []
    for node in plan:
        status = statuses[node.id]
        outcome = outcomes.get(node.id)
        inputs = tuple(plan.producers(node.id))
        if status.status == CACHED:
            records.append(TaskRecord(node.id, node.step, node.fingerprint, "cached", "cached",
                                      inputs=inputs))
        elif outcome is None:
            records.append(TaskRecord(node.id, node.step, node.fingerprint, "skipped",
                                      status.reason, error="not started: the run stopped early",
                                      inputs=inputs))
        else:
            error = outcome.failure.describe() if outcome.failure else None
            records.append(TaskRecord(
                node.id, node.step, node.fingerprint, outcome.status, status.reason,
                outcome.started, outcome.duration, error,
                outcome.failure.log_path if outcome.failure else None, inputs,
            ))
    done = {r.node for r in records if r.status in ("ran", "cached")}
    unreadable: StoreError | None = None
    try:
        metrics = collect_metrics(prepared, done)
    except StoreError as error:  # recorded first: a run never stays "running"
        metrics, unreadable = {}, error
    failures = [o.failure for o in outcomes.values() if o.failure is not None]
    status = aborted or ("failed" if failures or unreadable else "succeeded")
    errors = [f.describe() for f in failures]
    if unreadable is not None:
        errors.append(f"the run's metrics could not be read: {unreadable}")
    # A run with versions still to register stays "running" until they are registered: a
    # registration that cannot even record its failure (a full disk) never leaves it
    # "succeeded", and the next command marks it interrupted once its process is gone.
    registering = status == "succeeded" and any(
        n.step == REGISTER_STEP for n in plan if n.id in done)
    store.metadata.finish_run(run_id, "running" if registering else status, records,
                              metrics or None, "\n".join(errors) or None)
    store.metadata.record_history(
        plan.pipeline,
        [(n.id, n.fingerprint, n.components) for n in plan if n.id in done],
    )
    for outcome in outcomes.values():
        if outcome.ok:
            store.metadata.record_artifacts(plan.node(outcome.node).fingerprint, outcome.outputs)
    if unreadable is not None and aborted is None:
        raise CorruptArtifactError(
            f"run {run_id} failed: its metrics could not be read: {unreadable}",
            hint="run the same command again: the damaged entry was moved aside and is "
                 "recomputed")
    return RunReport(run_id, plan.pipeline, records, metrics, duration, description, failures,
                     aborted is not None)


def _redact_file(path: str | None, redactor: Redactor) -> None:
    """Masks the credentials a failed task's log quotes (its traceback holds the message)."""
    if not path or not redactor.values:
        return
    log_file = Path(path)
    try:
        text = log_file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return  # no log was written
    masked = redactor.text(text)
    if masked != text:
        log_file.write_text(masked, encoding="utf-8")


def collect_metrics(prepared: PreparedRun, done: set[str]) -> dict[str, Any]:
    """The run's metrics: the outputs the spec lists under ``metrics``, merged in order."""
    merged: dict[str, Any] = {}
    for source in prepared.plan.metrics:
        if source.node in done:
            node = prepared.plan.node(source.node)
            merged.update(prepared.store.artifacts.read(node.fingerprint, source.output))
    return merged


def raise_for_failures(report: RunReport, overrides: Sequence[str]) -> None:
    """Raises :class:`StepError` naming every failed step and how to resume."""
    if report.failures:
        hint = (f"fix the cause and resume with: {command_line(overrides)} "
                "(steps that finished come from cache)")
        raise StepError(report.failures, hint)


def command_line(overrides: Sequence[str]) -> str:
    """The ``assay run`` command that repeats a run (a credential's value shown as ``***``)."""
    return " ".join(["assay run", *(shlex.quote(o) for o in redact_overrides(overrides))])
