"""Running pipelines through the command line: caching, plans and what invalidates what."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.helpers import assay


def _plan(project: Path, *overrides: str) -> dict[str, dict[str, str]]:
    result = assay("plan", *overrides, "--json", cwd=project)
    assert result.returncode == 0, result.stderr
    return {node["id"]: node for node in json.loads(result.stdout)["nodes"]}


def _metrics(project: Path) -> dict[str, float]:
    latest = sorted(project.glob("outputs/*/*/metrics.json"))[-1]
    return json.loads(latest.read_text())


def test_the_second_identical_run_comes_entirely_from_cache(project: Path) -> None:
    from assay.executor.gpus import machine_gpus

    first = assay("run", cwd=project)  # the default executor: auto
    assert first.returncode == 0, first.stderr
    assert "9 steps: 9 ran, 0 from cache" in first.stdout
    # auto: a LocalCluster with one worker per GPU where there are GPUs, else a process pool
    picked = "Dask embedded LocalCluster" if machine_gpus() else "Dask multiprocessing scheduler"
    assert f"steps to run on {picked}" in first.stdout
    metrics = _metrics(project)
    assert metrics["roc_auc"] > 0.95 and metrics["accuracy"] > 0.9

    second = assay("run", cwd=project)
    assert second.returncode == 0, second.stderr
    assert "9 steps: 0 ran, 9 from cache" in second.stdout
    assert "nothing to run: all from cache" in second.stdout
    assert "steps to run on" not in second.stdout  # no executor started for a cached run
    assert _metrics(project) == metrics


def test_a_changed_parameter_reruns_only_train_and_downstream(project: Path) -> None:
    assert assay("run", "executor=threads", cwd=project).returncode == 0
    plan = _plan(project, "model.C=0.5")
    statuses = {node: (n["status"], n["reason"]) for node, n in plan.items()}
    assert statuses == {
        "load": ("cached", "cached"),
        "validate": ("cached", "cached"),
        "split": ("cached", "cached"),
        "features": ("cached", "cached"),
        "profile_train": ("cached", "cached"),
        "train": ("run", "parameter changed"),
        "evaluate": ("run", "input changed"),
        "profile": ("run", "input changed"),
        "register": ("run", "input changed"),
    }
    assert plan["train"]["detail"] == "estimator.C: 1.0 -> 0.5"

    rerun = assay("run", "model.C=0.5", "executor=threads", cwd=project)
    assert rerun.returncode == 0, rerun.stderr
    assert "9 steps: 4 ran, 5 from cache" in rerun.stdout
    assert all(n["status"] == "cached" for n in _plan(project, "model.C=0.5").values())


STEPS_V1 = '''
from assay.artifacts import Metrics
from assay.catalog import step


@step(outputs={"metrics": Metrics})
def first(*, value: float) -> Metrics:
    return Metrics({"value": value})


@step(outputs={"metrics": Metrics})
def second(upstream: Metrics) -> Metrics:
    return Metrics({"value": upstream["value"] * 2})


@step(outputs={"metrics": Metrics})
def third(upstream: Metrics) -> Metrics:
    return Metrics({"value": upstream["value"] + 1})
'''

CHAIN = """
steps:
  first: {uses: "chainsteps:first", with: {value: 3.0}}
  second: {uses: "chainsteps:second", inputs: {upstream: first.metrics}}
  third: {uses: "chainsteps:third", inputs: {upstream: second.metrics}}
metrics: [third.metrics]
"""


def test_editing_a_step_invalidates_it_and_downstream_only(project: Path) -> None:
    (project / "chainsteps.py").write_text(STEPS_V1)
    (project / "pipelines" / "chain.yaml").write_text(textwrap.dedent(CHAIN))
    first = assay("run", "pipeline=chain", "executor=threads", cwd=project)
    assert first.returncode == 0, first.stderr
    assert _metrics(project) == {"value": 7.0}

    # A comment or docstring is not a change; the body is.
    (project / "chainsteps.py").write_text(STEPS_V1.replace(
        'return Metrics({"value": upstream["value"] * 2})',
        '"""Doubles."""\n    return Metrics({"value": upstream["value"] * 2})  # why not'))
    assert all(n["status"] == "cached" for n in _plan(project, "pipeline=chain").values())

    (project / "chainsteps.py").write_text(STEPS_V1.replace("* 2", "* 3"))
    plan = _plan(project, "pipeline=chain")
    assert {k: (v["status"], v["reason"]) for k, v in plan.items()} == {
        "first": ("cached", "cached"),
        "second": ("run", "code changed"),
        "third": ("run", "input changed"),
    }
    rerun = assay("run", "pipeline=chain", "executor=threads", cwd=project)
    assert "3 steps: 2 ran, 1 from cache" in rerun.stdout
    assert _metrics(project) == {"value": 10.0}


def test_project_local_steps_run_in_worker_processes_started_by_the_console_script(
        project: Path) -> None:
    # The console script's sys.path does not hold the working directory (python -m does):
    # the project is put on it, and each worker forked from the worker server (started
    # before Hydra) gets the client's sys.path with it.
    (project / "chainsteps.py").write_text(STEPS_V1)
    (project / "pipelines" / "chain.yaml").write_text(textwrap.dedent(CHAIN))
    script = Path(sys.executable).with_name("assay")
    result = subprocess.run([str(script), "run", "pipeline=chain", "executor=processes"],
                            cwd=project, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr
    assert "3 steps: 3 ran" in result.stdout
    assert _metrics(project) == {"value": 7.0}


def test_local_cluster_and_threads_give_identical_fingerprints_and_metrics(project: Path) -> None:
    results = {}
    for executor in ("local", "threads"):
        store = f"store.root=.assay-{executor}"
        run = assay("run", f"executor={executor}", store, "evaluate.cv_folds=3", cwd=project)
        assert run.returncode == 0, run.stderr
        assert "13 steps: 13 ran" in run.stdout
        fingerprints = {k: v["fingerprint"] for k, v in _plan(project, store, "evaluate.cv_folds=3").items()}
        results[executor] = (fingerprints, _metrics(project))
    assert results["local"] == results["threads"]
    fingerprints, metrics = results["local"]
    assert "cv_roc_auc_mean" in metrics and metrics["cv_folds"] == 3
    assert set(fingerprints) >= {"cv_fold[0]", "cv_fold[1]", "cv_fold[2]", "cross_validation"}


def test_the_run_is_recorded_in_sqlite(project: Path) -> None:
    import sqlite3

    assert assay("run", "executor=threads", cwd=project).returncode == 0
    assert assay("run", "executor=threads", cwd=project).returncode == 0
    with sqlite3.connect(project / ".assay" / "assay.db") as db:
        runs = db.execute("SELECT status, n_ran, n_cached FROM runs ORDER BY started").fetchall()
        tasks = db.execute("SELECT DISTINCT status FROM tasks").fetchall()
        mode = db.execute("PRAGMA journal_mode").fetchone()[0]
    assert runs == [("succeeded", 9, 0), ("succeeded", 0, 9)]
    assert {t[0] for t in tasks} == {"ran", "cached"}
    assert mode == "wal"


def test_a_cached_run_imports_no_scikit_learn_dask_or_torch(project: Path) -> None:
    import subprocess
    import sys

    assert assay("run", cwd=project).returncode == 0
    code = (
        "import sys\nfrom assay.cli import main\ncode = main(['run'])\n"
        "heavy = [m for m in ('sklearn', 'dask', 'distributed', 'torch') if m in sys.modules]\n"
        "print('HEAVY', code, heavy)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=project, capture_output=True,
                            text=True)
    assert "HEAVY 0 []" in result.stdout, result.stdout + result.stderr
    assert "0 ran, 9 from cache" in result.stdout
