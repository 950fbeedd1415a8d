"""Every executor must match the sequential reference: same outcomes, same artifacts."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from assay.config.compose import compose
from assay.config.project import locate_project
from assay.engine import PreparedRun, prepare
from assay.engine.execute import task_graph
from assay.executor import Callbacks, make_executor

SPEC = """
steps:
  a: {uses: "tests.sample_steps:sample_constant", with: {value: 1.0}}
  b: {uses: "tests.sample_steps:sample_constant", with: {value: 2.0}}
  c:
    uses: "tests.sample_steps:sample_add"
    inputs: {left: a.metrics, right: b.metrics}
    with: {offset: 0.5}
  parts:
    uses: "tests.sample_steps:sample_constant"
    foreach: 3
    with: {value: "${item}"}
  total:
    uses: "tests.sample_steps:sample_sum"
    inputs: {parts: parts.metrics}
  broken:
    uses: "tests.sample_steps:sample_fail"
    inputs: {upstream: a.metrics}
  after_broken:
    uses: "tests.sample_steps:sample_add"
    inputs: {left: broken.metrics, right: b.metrics}
metrics: [c.metrics]
"""


def _prepared(project: Path, spec: str = SPEC) -> PreparedRun:
    (project / "pipelines" / "shapes.yaml").write_text(textwrap.dedent(spec))
    return prepare(compose(locate_project(project), ["pipeline=shapes"]), locate_project(project))


def _run(prepared: PreparedRun, kind: str, on_error: str) -> dict[str, str]:
    settings = {"kind": kind, "on_error": on_error, "n_workers": 2, "dashboard_address": None}
    with make_executor(settings) as executor:
        graph = task_graph(prepared.plan, prepared.to_run, prepared.store, "test")
        outcomes = executor.run(graph, Callbacks())
    return {node: outcome.status for node, outcome in outcomes.items()}


@pytest.mark.parametrize("kind", ["sequential", "threads", "local"])
def test_keep_going_runs_everything_not_downstream_of_a_failure(project: Path, kind: str) -> None:
    prepared = _prepared(project)
    statuses = _run(prepared, kind, "keep-going")
    assert statuses == {
        "a": "ran", "b": "ran", "c": "ran", "parts[0]": "ran", "parts[1]": "ran",
        "parts[2]": "ran", "total": "ran", "broken": "failed", "after_broken": "skipped",
    }
    read = prepared.store.artifacts.read
    assert read(prepared.plan.node("c").fingerprint, "metrics") == {"value": 3.5}
    assert read(prepared.plan.node("total").fingerprint, "metrics") == {"value": 3, "parts": 3}


@pytest.mark.parametrize("kind", ["sequential", "threads", "local"])
def test_fail_stops_at_the_first_failure(project: Path, kind: str) -> None:
    prepared = _prepared(project)
    statuses = _run(prepared, kind, "fail")
    assert statuses["broken"] == "failed"
    assert statuses.get("after_broken") in (None, "skipped")  # never run
    if kind == "sequential":  # the reference stops right there: later tasks never start
        order = prepared.plan.order()
        assert set(statuses) == set(order[: order.index("broken") + 1])


def test_failure_names_step_fingerprint_and_log(project: Path) -> None:
    prepared = _prepared(project)
    settings = {"kind": "sequential", "on_error": "keep-going"}
    with make_executor(settings) as executor:
        graph = task_graph(prepared.plan, prepared.to_run, prepared.store, "test-run")
        outcomes = executor.run(graph, Callbacks())
    failure = outcomes["broken"].failure
    assert failure is not None
    assert failure.fingerprint == prepared.plan.node("broken").fingerprint
    assert failure.error_type == "ValueError" and failure.message == "boom"
    assert failure.log_path is not None and "ValueError: boom" in Path(failure.log_path).read_text()


def test_embedded_cluster_workers_fork_from_one_warm_server() -> None:
    import os
    import sys

    import psutil

    def worker_state() -> tuple[int, bool]:
        return os.getppid(), "sklearn.linear_model" in sys.modules

    settings = {"kind": "local", "n_workers": 2, "dashboard_address": None}
    with make_executor(settings) as executor:
        client = executor.client  # type: ignore[attr-defined]
        states = client.gather([client.submit(worker_state, pure=False, workers=[w])
                                for w in client.scheduler_info()["workers"]])
    parents = {parent for parent, _ in states}
    assert len(parents) == 1 and parents != {os.getpid()}
    assert "multiprocessing.forkserver" in " ".join(psutil.Process(parents.pop()).cmdline())
    assert all(warm for _, warm in states)  # imported by the server before the fork
