"""A run killed with SIGKILL mid-step resumes: finished steps are reused, partial ones never read."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.helpers import CALL_NOTING_STEPS, assay, noted_calls

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
  first: {uses: "killsteps:first", with: {value: 5.0}}
  slow: {uses: "killsteps:slow", inputs: {upstream: first.metrics}}
  last: {uses: "killsteps:last", inputs: {upstream: slow.metrics}}
metrics: [last.metrics]
"""


@pytest.fixture
def killable(project: Path) -> Path:
    (project / "killsteps.py").write_text(STEPS)
    (project / "pipelines" / "kill.yaml").write_text(textwrap.dedent(PIPELINE))
    return project


def _kill_during_slow(project: Path, executor: str) -> None:
    (project / "block").touch()
    process = subprocess.Popen(
        [sys.executable, "-m", "assay", "run", "pipeline=kill", f"executor={executor}"],
        cwd=project, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while not (project / "slow.started").exists():
        assert process.poll() is None, "the run ended before it could be killed"
        assert time.monotonic() < deadline, "the slow step never started"
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)  # the whole group: cluster workers included
    process.wait(timeout=30)
    (project / "block").unlink()


def _fingerprints(project: Path) -> dict[str, str]:
    plan = assay("plan", "pipeline=kill", "--json", cwd=project)
    return {n["id"]: n["fingerprint"] for n in json.loads(plan.stdout)["nodes"]}


@pytest.mark.parametrize("executor", ["threads", "local"])
def test_a_killed_run_resumes_from_what_finished(killable: Path, executor: str) -> None:
    _kill_during_slow(killable, executor)
    assert noted_calls(killable) == ["first", "slow"]

    resumed = assay("run", "pipeline=kill", f"executor={executor}", cwd=killable)
    assert resumed.returncode == 0, resumed.stderr
    assert "3 steps: 2 ran, 1 from cache" in resumed.stdout
    assert noted_calls(killable) == ["first", "slow", "slow", "last"]
    metrics = sorted(killable.glob("outputs/*/*/metrics.json"))[-1]
    assert json.loads(metrics.read_text()) == {"value": 11.0}


def test_partial_and_corrupt_entries_are_never_read(killable: Path) -> None:
    _kill_during_slow(killable, "threads")
    fingerprints = _fingerprints(killable)
    artifacts = killable / ".assay" / "artifacts"
    # What a writer killed mid-write could leave: files in place without a manifest ...
    partial = artifacts / fingerprints["slow"][:2] / fingerprints["slow"]
    partial.mkdir(parents=True)
    (partial / "metrics.json").write_text('{"value": 99')
    # ... and a finished entry whose bytes changed afterwards.
    finished = artifacts / fingerprints["first"][:2] / fingerprints["first"] / "metrics.json"
    finished.write_text(finished.read_text().replace("5.0", "7.0"))

    plan = json.loads(assay("plan", "pipeline=kill", "--json", cwd=killable).stdout)
    reasons = {n["id"]: n["reason"] for n in plan["nodes"]}
    assert reasons == {"first": "output corrupt", "slow": "new", "last": "new"}

    resumed = assay("run", "pipeline=kill", "executor=threads", cwd=killable)
    assert resumed.returncode == 0, resumed.stderr
    assert "3 steps: 3 ran, 0 from cache" in resumed.stdout
    metrics = sorted(killable.glob("outputs/*/*/metrics.json"))[-1]
    assert json.loads(metrics.read_text()) == {"value": 11.0}
