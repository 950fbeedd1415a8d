"""Restoring a registered version's model artifact in place, byte for byte.

The steps that made the model are run again from the version's recorded config, in the
same store (what is still cached is read, not recomputed), and the rebuilt model must
have the sha256 the registry recorded: a model that differs is not put in the
version's place. Nothing is registered or promoted; the rebuild is recorded as a run.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from assay.compiler.plan import Plan
from assay.config.project import Project
from assay.engine.execute import (
    allowed_pickles,
    executor_settings,
    new_run_id,
    record_run,
    run_tasks,
)
from assay.engine.prepare import PreparedRun, prepare
from assay.engine.reproduce import recorded_config
from assay.engine.verify import model_problem
from assay.errors import AssayError, StepError
from assay.executor import TaskOutcome
from assay.executor.cache import RUN, decide, explain
from assay.registry import ModelVersion
from assay.store import Store


class RestoreRefused(AssayError):
    """The model cannot be rebuilt as registered (exit 1).

    Args:
        message: Why.
        hint: What to do instead.
    """

    def __init__(self, message: str, hint: str) -> None:
        self.hint = hint
        super().__init__(f"{message}\n  hint: {hint}")


@dataclass(frozen=True)
class Restoration:
    """What ``assay models restore`` did.

    Attributes:
        ref: The version.
        restored: Whether a model was rebuilt (False: it was intact, nothing to do).
        path: The model artifact's file.
        sha256: Its checksum, the one the registry recorded.
        run_id: The run that rebuilt it ("" when nothing ran).
        ran: The steps that ran.
        problem: What was wrong with the artifact before.
    """

    ref: str
    restored: bool
    path: str
    sha256: str
    run_id: str = ""
    ran: tuple[str, ...] = ()
    problem: str = ""

    def to_json(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        return dataclasses.asdict(self)


def restore_model(version: ModelVersion, project: Project, store: Store,
                  announce: Callable[[str], None] | None = None) -> Restoration:
    """Rebuilds the model artifact of ``version`` in ``store`` if it is missing or damaged.

    Raises:
        RestoreRefused: when the project would now make another model (code or data
            changed), or the rebuilt bytes differ from the registered sha256.
        StepError: when a step fails while rebuilding.
    """
    problem, path = model_problem(store, version)
    if problem is None:
        return Restoration(version.ref, False, path, version.model_sha256)
    prepared = prepare(recorded_config(version, project, store.root), project, store)
    node_id = _model_node(version, prepared.plan, store)
    # A readable entry with other bytes than registered is cached as far as the plan can
    # tell: move it aside so the model is made again.
    store.artifacts.quarantine(version.model_fingerprint, f"restoring {version.ref}: {problem}")
    needed = {node_id, *_ancestors(prepared.plan, node_id)}
    statuses = decide(prepared.plan, store)
    part = _part(prepared, needed, statuses)
    to_run = [n for n in part.plan.order() if part.statuses[n].status == RUN]
    run_id = _rebuild(part, to_run, version, announce)
    after, path = model_problem(store, version)
    if after is not None:
        manifest = store.artifacts.manifest(version.model_fingerprint)
        made = manifest.outputs["model"].sha256 if manifest and "model" in manifest.outputs else ""
        store.artifacts.quarantine(version.model_fingerprint,
                                   f"rebuilt for {version.ref} with other bytes")
        raise RestoreRefused(
            f"cannot restore {version.ref}: the rebuilt model has sha256 {made[:12] or '?'}, "
            f"the registry recorded {version.model_sha256[:12]}; it was not put in its place "
            f"(kept in {store.artifacts.artifacts / '.corrupt'} for study)",
            f"the same training pickled to other bytes; `assay reproduce {version.ref}` "
            "compares its metrics, `assay run` trains and registers a new version")
    return Restoration(version.ref, True, path, version.model_sha256, run_id, tuple(to_run),
                       problem)


def _model_node(version: ModelVersion, plan: Plan, store: Store) -> str:
    """The plan node that makes the version's model, checked to make the same one."""
    recorded = dict(version.fingerprints)
    node_id = next((n for n, f in recorded.items() if f == version.model_fingerprint), None)
    if node_id is None:
        raise RestoreRefused(f"cannot restore {version.ref}: its record names no step that made "
                             "its model", "`assay run` trains and registers a new version")
    if node_id in plan and plan.node(node_id).fingerprint == version.model_fingerprint:
        return node_id
    cause = _cause(version, plan, store, node_id)
    raise RestoreRefused(
        f"cannot restore {version.ref}: step '{node_id}' would not make the same model from "
        f"this project now ({cause})",
        f"`assay reproduce {version.ref}` shows every difference; `assay run` trains and "
        "registers a new version")


def _cause(version: ModelVersion, plan: Plan, store: Store, node_id: str) -> str:
    """The first step upstream of ``node_id`` whose own fingerprint changed, and why."""
    if node_id not in plan:
        return f"the pipeline has no step '{node_id}'"
    recorded = dict(version.fingerprints)
    order = [n for n in plan.order() if n in {node_id, *_ancestors(plan, node_id)}]
    for current in order:
        node = plan.node(current)
        if recorded.get(current) == node.fingerprint:
            continue
        if any(recorded.get(p) != plan.node(p).fingerprint for p in plan.producers(current)):
            continue  # changed because an input changed: reported through that input
        before = store.metadata.components(plan.pipeline, current, recorded.get(current, ""))
        status = explain(node, before)
        detail = f": {status.detail}" if status.detail else ""
        return f"step '{current}': {status.reason}{detail}"
    return "its fingerprint changed"


def _ancestors(plan: Plan, node_id: str) -> set[str]:
    import networkx as nx

    found: set[str] = nx.ancestors(plan.graph, node_id)
    return found


def _part(prepared: PreparedRun, needed: set[str], statuses: dict[str, Any]) -> PreparedRun:
    """The prepared run restricted to the steps ``needed`` (no metrics: none are read)."""
    plan = prepared.plan
    part = Plan(plan.graph.subgraph(needed).copy(), plan.pipeline, plan.spec_file, metrics=())
    return dataclasses.replace(prepared, plan=part,
                               statuses={n: statuses[n] for n in needed})


def _rebuild(part: PreparedRun, to_run: list[str], version: ModelVersion,
             announce: Callable[[str], None] | None) -> str:
    """Runs ``to_run`` of ``part`` and records it as a run; returns the run id."""
    run_id = new_run_id()
    part.store.metadata.start_run(
        run_id, part.plan.pipeline, f"assay models restore {version.ref}",
        list(version.overrides), version.config, None, len(part.plan))
    started = time.perf_counter()
    outcomes: dict[str, TaskOutcome] = {}
    description = ""
    aborted: str | None = None
    try:
        outcomes, description = run_tasks(part.plan, to_run, part.store,
                                          executor_settings(part.cfg), run_id,
                                          announce=announce,
                                          allow_pickle=allowed_pickles([part.cfg]))
    except KeyboardInterrupt:
        aborted = "interrupted"
        raise
    except BaseException:
        aborted = "failed"
        raise
    finally:
        report = record_run(part, run_id, outcomes, time.perf_counter() - started,
                            description, aborted)
    if report.failures:
        raise StepError(report.failures, f"fix the cause and run `assay models restore "
                                         f"{version.ref}` again")
    return run_id
