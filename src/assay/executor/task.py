"""What runs on a worker: one plan node, from stored inputs to stored outputs.

A task receives a :class:`TaskSpec` (small, picklable), reads its inputs from the
store by fingerprint, calls the step, writes the outputs atomically and returns a
:class:`TaskOutcome` (small too). It never raises: failures come back as outcomes,
so every executor handles them the same way, and a task whose upstream failed is
skipped rather than run on missing inputs.
"""

from __future__ import annotations

import dataclasses
import importlib
import shutil
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assay.artifacts import Dataset
from assay.catalog import Step
from assay.errors import Problem, StepFailure, UserError
from assay.executor.logs import task_log
from assay.runtime import running_task
from assay.store.artifacts import ArtifactStore
from assay.store.safe_pickle import NOTHING_EXTRA, Allowance, allowing


@dataclass(frozen=True)
class InputSpec:
    """Where one input of a task comes from: stored outputs, by producer fingerprint."""

    name: str
    sources: tuple[tuple[str, str], ...]  # (fingerprint, output)
    many: bool = False


@dataclass(frozen=True)
class TaskSpec:
    """Everything a worker needs to run one node."""

    node: str
    step: str
    reference: str
    fingerprint: str
    params: Mapping[str, Any]
    inputs: tuple[InputSpec, ...]
    outputs: Mapping[str, str]
    store_root: str
    log_path: str
    info: Mapping[str, Any] = field(default_factory=dict)
    config_keys: Mapping[str, str] = field(default_factory=dict)
    resources: Mapping[str, float] = field(default_factory=dict)
    threads: int = 1
    trust: Allowance = NOTHING_EXTRA  # what stored pickles may name besides assay's list


@dataclass(frozen=True)
class TaskOutcome:
    """The result of one task, as reported back to the executor."""

    node: str
    status: str  # ran, failed or skipped
    started: float
    duration: float
    failure: StepFailure | None = None
    outputs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether the task ran and stored its outputs."""
        return self.status == "ran"


def run_task(spec: TaskSpec, *upstream: TaskOutcome) -> TaskOutcome:
    """Runs one node; ``upstream`` are the outcomes of the producers that ran in this run."""
    started = time.time()
    if any(not outcome.ok for outcome in upstream):
        return TaskOutcome(spec.node, "skipped", started, 0.0)
    store = ArtifactStore(Path(spec.store_root))
    log_path = Path(spec.log_path)
    with task_log(log_path) as log:
        log.info("step %s (%s) fingerprint %s", spec.node, spec.step, spec.fingerprint)
        try:
            _limit_threads(spec.threads)
            declared = resolve_step(spec.reference)
            with allowing(spec.trust):
                inputs = {i.name: _load(store, i) for i in spec.inputs}
            resume = store.resume_dir(spec.fingerprint)
            with running_task(resume):
                values = declared.call(inputs, dict(spec.params))
            _check_outputs(spec, values)
            links = _passed_through(spec, inputs, values)
            manifest = store.write(
                spec.fingerprint,
                {name: (spec.outputs[name], values[name]) for name in spec.outputs
                 if name not in links},
                {**spec.info, "node": spec.node, "step": spec.step,
                 "compute_s": time.time() - started},
                links,
            )
            duration = time.time() - started
        except Exception as error:  # every failure becomes an outcome, never a crash
            log.error("step %s failed", spec.node, exc_info=True)
            return TaskOutcome(spec.node, "failed", started, time.time() - started,
                               _failure(spec, error))
        log.info("step %s finished in %.3fs", spec.node, duration)
    shutil.rmtree(resume, ignore_errors=True)  # the outputs are stored: nothing to resume
    directory = store.entry_dir(spec.fingerprint)
    outputs = {
        name: {"kind": r.kind, "codec": r.codec, "path": str(directory / r.file),
               "size": r.size, "sha256": r.sha256}
        for name, r in manifest.outputs.items()
    }
    return TaskOutcome(spec.node, "ran", started, duration, outputs=outputs)


def resolve_step(reference: str) -> Step:
    """The declared step behind ``module:qualname``."""
    module_name, _, qualname = reference.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    declared = getattr(obj, "__assay_step__", None)
    if not isinstance(declared, Step):
        raise TypeError(f"{reference} is not a declared step")
    return declared


def _load(store: ArtifactStore, spec: InputSpec) -> Any:
    values = [store.read(fingerprint, output) for fingerprint, output in spec.sources]
    return values if spec.many else values[0]


def _passed_through(
    spec: TaskSpec, inputs: Mapping[str, Any], values: Mapping[str, Any]
) -> dict[str, tuple[str, str]]:
    """Outputs that are an input object returned unchanged (a validation step's data):
    stored as a link to the input's artifact instead of a second copy."""
    sources = {
        id(inputs[i.name]): i.sources[0] for i in spec.inputs if not i.many and len(i.sources) == 1
    }
    return {
        name: sources[id(value)]
        for name, value in values.items()
        if id(value) in sources and spec.outputs.get(name) == "dataset"
    }


def _check_outputs(spec: TaskSpec, values: Mapping[str, Any]) -> None:
    for name, kind in spec.outputs.items():
        value = values.get(name)
        if kind == "dataset" and not isinstance(value, Dataset):
            raise TypeError(f"output '{name}' must be a Dataset, got {type(value).__name__}")
        if kind == "metrics" and not isinstance(value, Mapping):
            raise TypeError(f"output '{name}' must be a mapping, got {type(value).__name__}")
        if kind in ("model", "transformer") and value is None:
            raise TypeError(f"output '{name}' is None")


def _failure(spec: TaskSpec, error: BaseException) -> StepFailure:
    problems: tuple[Problem, ...] = ()
    if isinstance(error, UserError):
        problems = tuple(_locate(spec, p) for p in error.problems)
    return StepFailure(
        node=spec.node,
        step=spec.step,
        fingerprint=spec.fingerprint,
        error_type=type(error).__name__,
        message=str(error),
        traceback="".join(traceback.format_exception(error)),
        log_path=spec.log_path,
        user_error=isinstance(error, UserError),
        problems=problems,
    )


def _locate(spec: TaskSpec, problem: Problem) -> Problem:
    """Names the step and turns a parameter key (``source.target``) into a config key."""
    key = problem.key
    if key:
        head, _, rest = key.partition(".")
        if head in spec.config_keys:
            key = ".".join(filter(None, [spec.config_keys[head], rest]))
        elif len(spec.config_keys) == 1 and head not in spec.params:
            # a source or estimator reports its own field name ("target"); the step
            # has one config-backed parameter, so that is where the field lives
            key = f"{next(iter(spec.config_keys.values()))}.{key}"
    return dataclasses.replace(problem, step=problem.step or spec.node, key=key)


_limited_to: list[int] = []


def _limit_threads(threads: int) -> None:
    """Caps BLAS/OpenMP threads so concurrent tasks do not oversubscribe the cores.

    The cap is per process and not restored: tasks of one run share it, and
    restoring it from one thread would lift it under another still running.
    """
    threads = max(1, threads)
    if _limited_to == [threads]:
        return
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=threads)
    _limited_to[:] = [threads]
