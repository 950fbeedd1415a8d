"""Nothing assay starts outlives it: SIGKILL, SIGTERM or Ctrl-C of the main process ends
the worker server, its workers and the resource tracker within seconds."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import CALL_NOTING_STEPS, assay, noted_calls

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")

STEPS = CALL_NOTING_STEPS + '''

@step(outputs={"metrics": Metrics})
def first(*, value: float) -> Metrics:
    _note("first")
    return Metrics({"value": value})


@step(outputs={"metrics": Metrics})
def slow(upstream: Metrics) -> Metrics:
    _note("slow")
    if Path("block").exists():
        Path("slow.started").touch()
        time.sleep(600)
    return Metrics({"value": upstream["value"] * 2})


@step(outputs={"metrics": Metrics})
def last(upstream: Metrics) -> Metrics:
    _note("last")
    return Metrics({"value": upstream["value"] + 1})
'''

PIPELINE = """
steps:
  first: {uses: "lifesteps:first", with: {value: 5.0}}
  slow: {uses: "lifesteps:slow", inputs: {upstream: first.metrics}}
  last: {uses: "lifesteps:last", inputs: {upstream: slow.metrics}}
metrics: [last.metrics]
"""

GONE_WITHIN_S = 5.0
"""How long the processes a killed run started may take to end."""


@pytest.fixture
def blocking(project: Path) -> Path:
    """A project whose pipeline ``life`` blocks in its second step while ``block`` exists."""
    (project / "lifesteps.py").write_text(STEPS)
    (project / "pipelines" / "life.yaml").write_text(textwrap.dedent(PIPELINE))
    (project / "block").touch()
    return project


def _parent_of(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return int(stat.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def descendants(pid: int) -> set[int]:
    """Every process below ``pid``: its children, theirs, and so on."""
    parents = {int(p): _parent_of(int(p)) for p in os.listdir("/proc") if p.isdigit()}
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pids: set[int]) -> set[int]:
    """Those of ``pids`` still running (a zombie has ended; only its parent has not noticed)."""
    running = set()
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                state = stat.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state not in ("Z", "X"):
            running.add(pid)
    return running


def wait_until_gone(pids: set[int], timeout: float = GONE_WITHIN_S) -> set[int]:
    """Waits up to ``timeout`` for ``pids`` to end; returns those still running."""
    deadline = time.monotonic() + timeout
    while (left := alive(pids)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen[str]]]:
    """Runs started by a test; whatever is left of them is killed afterwards."""
    runs: list[subprocess.Popen[str]] = []
    yield runs
    for run in runs:
        left = alive(descendants(run.pid)) | alive({run.pid})
        for pid in left:
            os.kill(pid, signal.SIGKILL)
        run.wait(timeout=30)


def start_run(project: Path, runs: list[subprocess.Popen[str]], *args: str) -> subprocess.Popen[str]:
    """``assay run ARGS`` in a session of its own (its group is what a terminal would signal)."""
    env = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    run = subprocess.Popen([sys.executable, "-m", "assay", "run", *args], cwd=project, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           start_new_session=True)
    runs.append(run)
    return run


def wait_for(condition: object, run: subprocess.Popen[str], what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert run.poll() is None, f"the run ended before {what}: {run.communicate()}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def workers_of(pid: int) -> set[int]:
    """The processes the run's worker server forked (its grandchildren)."""
    return {p for p in descendants(pid) if _parent_of(p) != pid}


@pytest.mark.parametrize("args", [
    ["executor=processes"], ["executor=local"], ["-m", "executor=processes", "+trial=1,2"],
], ids=["processes", "local", "sweep"])
def test_sigkill_of_the_main_process_ends_everything_it_started(
        blocking: Path, started: list[subprocess.Popen[str]], args: list[str]) -> None:
    run = start_run(blocking, started, *args, "pipeline=life")
    wait_for(lambda: (blocking / "slow.started").exists(), run, "the slow step started")
    tree = descendants(run.pid)
    assert len(tree) >= 3, "a resource tracker, a worker server and its workers"
    os.kill(run.pid, signal.SIGKILL)  # the main process only, as the OOM killer would
    run.wait(timeout=30)
    assert wait_until_gone(tree) == set()


def test_sigkill_of_a_real_training_run_leaves_no_process(
        project: Path, started: list[subprocess.Popen[str]]) -> None:
    run = start_run(project, started, "model=random_forest", "model.n_estimators=1500")
    wait_for(lambda: workers_of(run.pid), run, "a worker process started")
    time.sleep(1.0)  # the workers are busy training
    tree = descendants(run.pid)
    os.kill(run.pid, signal.SIGKILL)
    run.wait(timeout=30)
    assert wait_until_gone(tree) == set()


@pytest.mark.parametrize("executor", ["processes", "local"])
def test_sigterm_is_handled_like_ctrl_c(
        blocking: Path, started: list[subprocess.Popen[str]], executor: str) -> None:
    run = start_run(blocking, started, "pipeline=life", f"executor={executor}")
    wait_for(lambda: (blocking / "slow.started").exists(), run, "the slow step started")
    tree = descendants(run.pid)
    sent = time.monotonic()
    os.kill(run.pid, signal.SIGTERM)
    _, stderr = run.communicate(timeout=30)
    assert time.monotonic() - sent < GONE_WITHIN_S, "it must not wait for the running step"
    assert run.returncode == 143, stderr
    assert "assay: terminated (SIGTERM); finished steps are cached, run again to resume" in stderr
    assert "Traceback" not in stderr
    assert wait_until_gone(tree) == set()

    (blocking / "block").unlink()
    resumed = assay("run", "pipeline=life", f"executor={executor}", cwd=blocking)
    assert resumed.returncode == 0, resumed.stderr
    assert "3 steps: 2 ran, 1 from cache" in resumed.stdout
    assert noted_calls(blocking) == ["first", "slow", "slow", "last"]


@pytest.mark.parametrize(("executor", "group"), [
    ("processes", False), ("processes", True), ("threads", True),
], ids=["processes-main-pid", "processes-group", "threads-group"])
def test_ctrl_c_stops_a_running_step_at_once(
        blocking: Path, started: list[subprocess.Popen[str]], executor: str, group: bool) -> None:
    # A terminal's Ctrl-C reaches the whole group; `kill -INT PID` only the main process,
    # which must then stop the workers itself rather than wait for the step to finish
    # (a step running in a thread is abandoned: it cannot be stopped).
    run = start_run(blocking, started, "pipeline=life", f"executor={executor}")
    wait_for(lambda: (blocking / "slow.started").exists(), run, "the slow step started")
    tree = descendants(run.pid)
    if group:
        os.killpg(run.pid, signal.SIGINT)
    else:
        os.kill(run.pid, signal.SIGINT)
    _, stderr = run.communicate(timeout=GONE_WITHIN_S)
    assert run.returncode == 130, stderr
    assert "assay: interrupted; finished steps are cached, run again to resume" in stderr
    assert "Traceback" not in stderr
    assert wait_until_gone(tree) == set()
