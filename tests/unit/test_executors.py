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

# Composing sets Hydra's version base (a singleton) to 1.3; left set, it would change
# what Hydra's launcher conformance tests expect of a later test in this session.
pytestmark = pytest.mark.usefixtures("hydra_restore_singletons")

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


@pytest.mark.parametrize("kind", ["sequential", "threads", "processes", "local"])
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


@pytest.mark.parametrize("kind", ["sequential", "threads", "processes", "local"])
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


def test_a_dead_worker_process_fails_its_task_and_the_run_goes_on(project: Path) -> None:
    prepared = _prepared(project, SPEC.replace("sample_fail", "sample_die"))
    settings = {"kind": "processes", "on_error": "keep-going", "n_workers": 2}
    with make_executor(settings) as executor:
        graph = task_graph(prepared.plan, prepared.to_run, prepared.store, "test")
        outcomes = executor.run(graph, Callbacks())
        # The broken pool is replaced: the executor still runs what it is given.
        assert executor.run(graph, Callbacks())["a"].status == "ran"
    assert outcomes["a"].status == "ran"
    failure = outcomes["broken"].failure
    assert outcomes["broken"].status == "failed" and failure is not None
    assert failure.error_type == "WorkerLost" and "run again to resume" in failure.message
    assert "after_broken" not in outcomes  # never reached


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
        # No dashboard: no link, and the scheduler's plain HTTP endpoints leave 8787 free.
        assert executor.dashboard_link() is None  # type: ignore[attr-defined]
        assert "dashboard" not in executor.describe()
        assert client.scheduler_info()["services"].get("dashboard") != 8787
    parents = {parent for parent, _ in states}
    assert len(parents) == 1 and parents != {os.getpid()}
    assert "multiprocessing.forkserver" in " ".join(psutil.Process(parents.pop()).cmdline())
    # Imported by the server before the fork (workers get no Dask preload doing it).
    assert all(warm for _, warm in states)


@pytest.mark.parametrize(
    ("gpus", "visible", "devices"),
    [
        (0, None, []),
        (2, None, ["0", "1"]),
        (2, "2,3", ["2", "3"]),  # the parent's devices, not GPUs 0 and 1
        (1, " GPU-abc , GPU-def", ["GPU-abc"]),
        (3, "5,7", ["5", "7", "5"]),  # more workers than devices (gpu_workers by hand)
        (1, "", [""]),
        (1, "-1", [""]),
    ],
)
def test_gpu_workers_see_the_parents_devices_and_cpu_workers_see_none(
        gpus: int, visible: str | None, devices: list[str]) -> None:
    from assay.executor.gpus import worker_environments

    cpu, gpu = worker_environments(gpus, visible)
    assert [env["CUDA_VISIBLE_DEVICES"] for env in gpu] == devices
    assert cpu == ({"CUDA_VISIBLE_DEVICES": ""} if gpus else {})


def test_nvidia_smi_is_asked_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess

    from assay.executor import gpus

    calls: list[list[str]] = []

    def run(command: list[str], **_: object) -> subprocess.CompletedProcess[str]:
        calls.append(command)
        return subprocess.CompletedProcess(command, 0, "GPU 0: A\nGPU 1: B\nGPU 2: C\n", "")

    monkeypatch.setattr(gpus.shutil, "which", lambda _: "/usr/bin/nvidia-smi")
    monkeypatch.setattr(gpus.subprocess, "run", run)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    gpus._listed_gpus.cache_clear()
    try:
        assert gpus.machine_gpus() == 3
        monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1,2")  # still honoured, per call
        assert gpus.machine_gpus() == 2
        assert gpus.planned_gpus({"kind": "local", "gpu_workers": None}) == 2
        assert gpus.planned_gpus({"kind": "local", "gpu_workers": 1}) == 1
        assert gpus.planned_gpus({"kind": "dask"}) is None
        assert len(calls) == 1
    finally:
        gpus._listed_gpus.cache_clear()
