"""A store that heals and never lies, through the command line: damaged artifacts are
found when the plan is made and replaced, runs never stay "running", ``assay verify``
reports every problem with its path, and ``assay models restore`` rebuilds a registered
model byte for byte."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import assay, assert_clean_error

FAST = ["executor=threads"]
REF = "logistic-regression:v1"


def _ok(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = assay(*args, cwd=project)
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    return result


def _json(project: Path, *args: str, code: int = 0) -> Any:
    result = assay(*args, "--json", cwd=project)
    assert result.returncode == code, (result.stdout, result.stderr)
    return json.loads(result.stdout)


def _entry(project: Path, node: str) -> Path:
    """The artifact directory of ``node`` in the current plan."""
    plan = _json(project, "plan", *FAST)
    fingerprint = next(n["fingerprint"] for n in plan["nodes"] if n["id"] == node)
    return project / ".assay" / "artifacts" / fingerprint[:2] / fingerprint


def _quarantined(project: Path) -> list[Path]:
    corrupt = project / ".assay" / "artifacts" / ".corrupt"
    return sorted(corrupt.iterdir()) if corrupt.exists() else []


def _remove(entry: Path) -> None:
    """Deletes an artifact entry, as a clean-up script or a lost disk would."""
    for file in entry.iterdir():
        file.unlink()
    entry.rmdir()


def _statuses(project: Path) -> list[str]:
    return [r["status"] for r in _json(project, "runs", "list")]


@pytest.fixture
def trained(project: Path) -> Path:
    _ok(project, "run", *FAST)
    return project


def test_a_truncated_model_is_reported_replaced_and_kept_aside(trained: Path) -> None:
    model = _entry(trained, "train") / "model.pkl"
    size = model.stat().st_size
    os.truncate(model, 300)

    plan = _ok(trained, "plan", *FAST).stdout
    assert f"output corrupt (model.pkl is 300 bytes, manifest.json records {size})" in plan
    run = _ok(trained, "run", *FAST)
    assert "9 steps: 1 ran, 8 from cache" in run.stdout
    assert model.stat().st_size == size  # the fresh result took the damaged one's place
    [kept] = _quarantined(trained)
    assert (kept / "model.pkl").stat().st_size == 300
    assert "9 steps: 0 ran, 9 from cache" in _ok(trained, "run", *FAST).stdout
    assert "is sound" in _ok(trained, "verify").stdout
    assert _statuses(trained) == ["succeeded"] * 3


def test_an_empty_metrics_artifact_is_recomputed_and_the_run_succeeds(trained: Path) -> None:
    metrics = _entry(trained, "evaluate") / "metrics.json"
    size = metrics.stat().st_size
    metrics.write_bytes(b"")

    plan = _json(trained, "plan", *FAST)
    evaluate = next(n for n in plan["nodes"] if n["id"] == "evaluate")
    assert (evaluate["reason"], evaluate["detail"]) == (
        "output corrupt", f"metrics.json is 0 bytes, manifest.json records {size}")
    run = _ok(trained, "run", *FAST)
    assert "9 steps: 1 ran, 8 from cache" in run.stdout
    assert json.loads(metrics.read_text())["accuracy"] > 0.9
    assert _statuses(trained) == ["succeeded", "succeeded"]


def test_metrics_that_match_their_manifest_but_cannot_be_read_fail_the_run(
    trained: Path
) -> None:
    entry = _entry(trained, "evaluate")
    (entry / "metrics.json").write_bytes(b"")
    manifest = json.loads((entry / "manifest.json").read_text())
    manifest["outputs"]["metrics"].update(size=0, sha256=hashlib.sha256(b"").hexdigest())
    (entry / "manifest.json").write_text(json.dumps(manifest))

    failed = assay("run", *FAST, cwd=trained)
    stderr = assert_clean_error(failed, code=1)
    assert "its metrics could not be read" in stderr
    assert f"{entry / 'metrics.json'} cannot be decoded as json" in stderr
    assert "hint: run the same command again" in stderr
    assert _statuses(trained) == ["failed", "succeeded"]  # never left "running"
    assert "9 steps: 1 ran, 8 from cache" in _ok(trained, "run", *FAST).stdout


def test_a_run_whose_registration_failed_is_recorded_as_failed(trained: Path) -> None:
    entry = _entry(trained, "register")
    (entry / "record.json").write_bytes(b"")
    manifest = json.loads((entry / "manifest.json").read_text())
    manifest["outputs"]["record"].update(size=0, sha256=hashlib.sha256(b"").hexdigest())
    (entry / "manifest.json").write_text(json.dumps(manifest))

    failed = assay("run", *FAST, cwd=trained)
    stderr = assert_clean_error(failed, code=1)
    assert f"{entry / 'record.json'} cannot be decoded as json" in stderr
    latest = _json(trained, "runs", "list")[0]
    assert latest["status"] == "failed"
    assert latest["error"].startswith("registration failed: ")
    assert "9 steps: 1 ran, 8 from cache" in _ok(trained, "run", *FAST).stdout


SLOW_STEP = '''
import time
from pathlib import Path

from assay.artifacts import Metrics
from assay.catalog import step


@step(outputs={"metrics": Metrics})
def wait(*, value: float) -> Metrics:
    Path("started").touch()
    time.sleep(600)
    return Metrics({"value": value})
'''


def test_a_killed_run_is_marked_interrupted_by_the_next_command(project: Path) -> None:
    (project / "slowsteps.py").write_text(SLOW_STEP)
    (project / "pipelines" / "slow.yaml").write_text(textwrap.dedent("""
        steps:
          wait: {uses: "slowsteps:wait", with: {value: 1.0}}
        metrics: [wait.metrics]
    """))
    process = subprocess.Popen(
        [sys.executable, "-m", "assay", "run", "pipeline=slow", *FAST], cwd=project,
        start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not (project / "started").exists():
        assert process.poll() is None and time.monotonic() < deadline, "the step never started"
        time.sleep(0.05)
    assert _statuses(project) == ["running"]  # alive: left alone
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)

    [run] = _json(project, "runs", "list")
    assert run["status"] == "interrupted"
    assert "its process ended before the run was recorded as finished" in run["error"]
    assert "is sound" in _ok(project, "verify").stdout


def test_verify_reports_repairs_and_restore_rebuilds_the_model(trained: Path) -> None:
    registered = _json(trained, "models", "show", REF)["model"]
    profile = _entry(trained, "profile") / "profile.json"
    profile.write_text(profile.read_text().replace("0", "1", 1))  # same size, other bytes
    model_entry = _entry(trained, "train")
    _remove(model_entry)

    found = assay("verify", cwd=trained)
    assert found.returncode == 1, found.stderr
    assert f"path: {profile.parent}" in found.stdout
    assert "profile.json does not match its recorded sha256" in found.stdout
    assert (f"model {REF}: its model artifact {registered['fingerprint'][:12]} is missing"
            in found.stdout)
    assert f"fix: assay models restore {REF}" in found.stdout
    report = _json(trained, "verify", code=1)
    assert {(p["kind"], p["path"]) for p in report["problems"]} == {
        ("artifact", str(profile.parent)), ("model", str(model_entry))}

    repaired = _json(trained, "verify", "--repair", code=1)
    assert [p["repaired"] != "" for p in repaired["problems"]] == [True, False]
    assert not profile.exists() and len(_quarantined(trained)) == 1
    assert [p["kind"] for p in _json(trained, "verify", code=1)["problems"]] == ["model"]

    restored = _ok(trained, "models", "restore", REF).stdout
    assert f"restored {REF} (its model artifact {registered['fingerprint'][:12]} is missing)" \
        in restored
    model = model_entry / "model.pkl"
    assert hashlib.sha256(model.read_bytes()).hexdigest() == registered["sha256"]
    assert "nothing to restore" in _ok(trained, "models", "restore", REF).stdout
    assert "is sound" in _ok(trained, "verify").stdout  # a missing entry is only a cache miss
    assert _statuses(trained) == ["succeeded", "succeeded"]


def test_restore_refuses_when_the_project_would_make_another_model(project: Path) -> None:
    from sklearn.datasets import load_breast_cancer

    frame = load_breast_cancer(as_frame=True).frame
    frame.to_csv(project / "cancer.csv", index=False)
    csv = ["data=csv", "data.path=cancer.csv", "data.target=target", "registry.name=cancer"]
    _ok(project, "run", *FAST, *csv)
    model = _json(project, "models", "show", "cancer:v1")["model"]["fingerprint"]
    entry = project / ".assay" / "artifacts" / model[:2] / model
    _remove(entry)
    frame.iloc[:-1].to_csv(project / "cancer.csv", index=False)  # the data changed since

    refused = assay("models", "restore", "cancer:v1", cwd=project)
    stderr = assert_clean_error(refused, code=1)
    assert ("cannot restore cancer:v1: step 'train' would not make the same model from this "
            "project now (step 'load': data changed") in stderr
    assert "`assay reproduce cancer:v1` shows every difference" in stderr
    assert not entry.exists()


def test_monitor_names_the_command_that_restores_a_missing_model(trained: Path) -> None:
    from sklearn.datasets import load_breast_cancer

    load_breast_cancer(as_frame=True).frame.to_parquet(trained / "same.parquet")
    _remove(_entry(trained, "train"))
    checked = assay("monitor", *FAST, "monitor.current=same.parquet", cwd=trained)
    stderr = assert_clean_error(checked, code=2)
    assert f"assay models restore {REF}" in stderr
    _ok(trained, "models", "restore", REF)
    _ok(trained, "monitor", *FAST, "monitor.current=same.parquet")
