"""Multirun sweeps: one merged plan, shared steps once, Hydra's job semantics kept."""

from __future__ import annotations

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
import yaml

from tests.helpers import CALL_NOTING_STEPS, assay, assert_clean_error, noted_calls

COUNTING_STEPS = CALL_NOTING_STEPS + '''

@step(outputs={"metrics": Metrics})
def source(*, size: int) -> Metrics:
    _note("source")
    return Metrics({"size": size})


@step(outputs={"metrics": Metrics})
def prepare(data: Metrics, *, scale: float) -> Metrics:
    _note("prepare")
    return Metrics({"value": data["size"] * scale})


@step(outputs={"metrics": Metrics})
def fit(data: Metrics, *, power: int) -> Metrics:
    _note("fit")
    if Path("block").exists() and power == 3 and data["value"] == 4.0:
        Path("fit.started").touch()
        time.sleep(600)
    return Metrics({"score": data["value"] ** power})
'''

COUNTING_PIPELINE = """
steps:
  source: {uses: "sweepsteps:source", with: {size: 2}}
  prepare: {uses: "sweepsteps:prepare", inputs: {data: source.metrics}, with: {scale: "${knobs.scale}"}}
  fit: {uses: "sweepsteps:fit", inputs: {data: prepare.metrics}, with: {power: "${knobs.power}"}}
metrics: [fit.metrics]
"""


@pytest.fixture
def counting(project: Path) -> Path:
    (project / "sweepsteps.py").write_text(COUNTING_STEPS)
    (project / "pipelines" / "counting.yaml").write_text(textwrap.dedent(COUNTING_PIPELINE))
    config = (project / "configs" / "config.yaml").read_text()
    (project / "configs" / "config.yaml").write_text(
        config + "\nknobs:\n  scale: 1.0\n  power: 1\n")
    return project


SWEEP = ["pipeline=counting", "knobs.scale=1.0,2.0", "knobs.power=1,2,3",
         "sweep.objective=score", "executor=threads"]


def _calls(project: Path) -> dict[str, int]:
    names = noted_calls(project)
    return {name: names.count(name) for name in sorted(set(names))}


def _job_dirs(project: Path) -> list[Path]:
    sweep_dir = sorted((project / "multirun").glob("*/*"))[-1]
    return sorted((p for p in sweep_dir.iterdir() if p.is_dir()), key=lambda p: int(p.name))


def test_shared_steps_run_once_and_jobs_keep_their_own_directories(counting: Path) -> None:
    result = assay("run", "-m", *SWEEP, cwd=counting)
    assert result.returncode == 0, result.stderr
    assert _calls(counting) == {"fit": 6, "prepare": 2, "source": 1}
    assert "sweep of 6 jobs: 18 steps in all, 9 unique after merging" in result.stdout
    jobs = _job_dirs(counting)
    assert [p.name for p in jobs] == ["0", "1", "2", "3", "4", "5"]
    first = yaml.safe_load((jobs[0] / ".hydra" / "overrides.yaml").read_text())
    assert first == ["pipeline=counting", "knobs.scale=1.0", "knobs.power=1",
                     "sweep.objective=score", "executor=threads"]
    scores = [json.loads((job / "metrics.json").read_text())["score"] for job in jobs]
    assert scores == [2.0, 4.0, 8.0, 4.0, 16.0, 64.0]  # (2 * scale) ** power, in Hydra's order
    # The leaderboard ranks by the objective, best first.
    board = result.stdout.split("overrides\n", 1)[1].splitlines()
    assert board[0].split()[:3] == ["1", "5", "64.0000"]
    assert board[-1].split()[:3] == ["6", "0", "2.0000"]

    again = assay("run", "-m", *SWEEP, cwd=counting)
    assert "9 unique after merging, 9 from cache, 0 to run" in again.stdout
    assert _calls(counting) == {"fit": 6, "prepare": 2, "source": 1}


def test_plan_shows_the_whole_sweep_before_it_runs(counting: Path) -> None:
    result = assay("plan", "-m", *SWEEP, "--json", cwd=counting)
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert (plan["total_nodes"], plan["unique_nodes"], plan["cached_nodes"]) == (18, 9, 0)
    assert [job["overrides"][1:3] for job in plan["jobs"]][:2] == [
        ["knobs.scale=1.0", "knobs.power=1"], ["knobs.scale=1.0", "knobs.power=2"]]
    assert all(job["status"] == "run" and job["nodes"] == 3 for job in plan["jobs"])
    assert not (counting / "calls.log").exists()

    assay("run", "pipeline=counting", "knobs.scale=2.0", "knobs.power=3", "executor=threads",
          cwd=counting)
    plan = json.loads(assay("plan", "-m", *SWEEP, "--json", cwd=counting).stdout)
    assert plan["cached_nodes"] == 3
    statuses = {tuple(job["overrides"][1:3]): job["status"] for job in plan["jobs"]}
    assert statuses[("knobs.scale=2.0", "knobs.power=3")] == "cached"


def test_the_default_pipeline_sweep_shares_data_and_features(project: Path) -> None:
    result = assay("plan", "-m", "model.C=0.5,1.0,2.0", "features=standard,minmax", "--json",
                   cwd=project)
    plan = json.loads(result.stdout)
    # load, validate, split and the training data's profile once; two feature fits; six
    # fits, evaluations, prediction profiles and registrations.
    assert (plan["total_nodes"], plan["unique_nodes"]) == (54, 30)


def test_a_config_error_in_one_job_stops_the_sweep_before_anything_runs(counting: Path) -> None:
    result = assay("run", "-m", "pipeline=counting", "knobs.scale=1.0,abc", "knobs.power=1",
                   "executor=threads", cwd=counting)
    stderr = assert_clean_error(result)
    assert "job #1 (pipeline=counting knobs.scale=abc knobs.power=1 executor=threads)" in stderr
    assert "the 'scale' parameter of step 'prepare' must be a number" in stderr
    assert not (counting / "calls.log").exists()


def test_keep_going_is_the_sweep_default_and_failures_are_listed(counting: Path) -> None:
    steps = (counting / "sweepsteps.py").read_text()
    failing = '    _note("fit")\n    if power == 2:\n        raise ValueError("no squares")\n'
    (counting / "sweepsteps.py").write_text(steps.replace('    _note("fit")\n', failing))
    result = assay("run", "-m", *SWEEP, cwd=counting)
    assert result.returncode == 1
    assert _calls(counting)["fit"] == 6  # the other jobs still ran
    assert result.stdout.count("ValueError: no squares") == 2
    assert "6 jobs, 4 succeeded, 2 failed" in result.stdout

    stop = assay("run", "-m", *SWEEP, "sweep.on_error=fail", "sweep.objective=value", cwd=counting)
    assert stop.returncode == 1
    summary = next(line for line in stop.stdout.splitlines() if "6 jobs," in line)
    succeeded = int(summary.split("6 jobs, ")[1].split(" succeeded")[0])
    written = [job for job in _job_dirs(counting) if (job / "metrics.json").exists()]
    assert succeeded < 6 and len(written) == succeeded  # no job is called done without results


def _multirun(project: Path, overrides: list[str]) -> list[Any]:
    """Runs a sweep in this process and returns Hydra's JobReturns."""
    from hydra import version
    from hydra._internal.hydra import Hydra
    from hydra.core.global_hydra import GlobalHydra

    from assay.cli.run import pipeline_task
    from assay.config.project import locate_project

    located = locate_project(project)
    version.setbase("1.3")  # as `assay run` does through @hydra.main
    hydra = Hydra.create_main_hydra_file_or_module(
        calling_file=None, calling_module="assay.cli.run", config_path=str(located.config_dir),
        job_name="run")
    try:
        returns = hydra.multirun(config_name="config", task_function=pipeline_task(located),
                                 overrides=overrides)
    finally:
        GlobalHydra.instance().clear()
    return list(returns[0])


def test_jobs_match_what_hydras_basic_launcher_produces(counting: Path, monkeypatch: pytest.MonkeyPatch,
                                                       hydra_restore_singletons: None) -> None:
    monkeypatch.syspath_prepend(str(counting))
    runs = {}
    for launcher in ("basic", "assay"):
        sweep_dir = counting / "sweeps" / launcher
        runs[launcher] = _multirun(counting, [*SWEEP, f"hydra/launcher={launcher}",
                                              f"hydra.sweep.dir={sweep_dir}"])
    assert len(runs["basic"]) == len(runs["assay"]) == 6
    for basic, ours in zip(runs["basic"], runs["assay"], strict=True):
        assert ours.status == basic.status
        assert ours.overrides == basic.overrides
        assert ours.return_value == basic.return_value
        assert ours.cfg == basic.cfg
        assert ours.task_name == basic.task_name
        assert ours.working_dir == basic.working_dir
        assert ours.hydra_cfg.hydra.job.num == basic.hydra_cfg.hydra.job.num
        assert ours.hydra_cfg.hydra.job.id == basic.hydra_cfg.hydra.job.id
        ours_dir = Path(ours.hydra_cfg.hydra.runtime.output_dir)
        basic_dir = Path(basic.hydra_cfg.hydra.runtime.output_dir)
        assert ours_dir.name == basic_dir.name
        assert sorted(p.name for p in ours_dir.iterdir()) == sorted(p.name for p in basic_dir.iterdir())
        for name in ("overrides.yaml", "config.yaml"):
            assert (ours_dir / ".hydra" / name).read_text() == (basic_dir / ".hydra" / name).read_text()
        assert (ours_dir / "metrics.json").read_text() == (basic_dir / "metrics.json").read_text()


def test_a_killed_sweep_resumes_without_recomputing_or_clobbering(counting: Path) -> None:
    (counting / "block").touch()
    process = subprocess.Popen(
        [sys.executable, "-m", "assay", "run", "-m", *SWEEP],
        cwd=counting, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    # One fit (scale=2, power=3) blocks; the five other jobs finish and are written.
    while len(list((counting / "multirun").glob("*/*/*/metrics.json"))) < 5:
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    (counting / "block").unlink()
    first_dirs = _job_dirs(counting)
    finished = {p.name: (p / "metrics.json").read_text()
                for p in first_dirs if (p / "metrics.json").exists()}
    assert finished, "some jobs should have finished before the kill"
    before = _calls(counting)

    resumed = assay("run", "-m", *SWEEP, cwd=counting)
    assert resumed.returncode == 0, resumed.stderr
    after = _calls(counting)
    # Only the fits that had not finished ran again; shared steps never did.
    assert after["source"] == 1 and after["prepare"] == 2
    assert after["fit"] - before["fit"] == 6 - len(finished)
    for name, text in finished.items():  # the killed sweep's finished jobs are untouched
        assert (first_dirs[0].parent / name / "metrics.json").read_text() == text
    assert len(_job_dirs(counting)) == 6


def test_optuna_batches_run_in_parallel_and_reuse_earlier_trials(counting: Path) -> None:
    result = assay("run", "-m", "pipeline=counting", "hydra/sweeper=optuna",
                   "hydra.sweeper.n_trials=4", "hydra.sweeper.n_jobs=2",
                   "hydra.sweeper.direction=maximize", "hydra.sweeper.sampler.seed=0",
                   "knobs.scale=choice(1.0,2.0)", "knobs.power=choice(1,2,3)",
                   "sweep.objective=score", "executor=threads", cwd=counting)
    assert result.returncode == 0, result.stderr
    batches = [line for line in result.stdout.splitlines() if line.startswith("assay: sweep of")]
    assert len(batches) == 2 and all("sweep of 2 jobs" in line for line in batches)
    assert "0 from cache" not in batches[1]  # the second batch reuses the first's work
    assert _calls(counting)["source"] == 1
    sweep_dir = sorted((counting / "multirun").glob("*/*"))[-1]
    best = yaml.safe_load((sweep_dir / "optimization_results.yaml").read_text())
    scores = [json.loads(p.read_text())["score"] for p in sweep_dir.glob("*/metrics.json")]
    assert len(scores) == 4 and best["best_value"] == max(scores)


def test_an_optimiser_going_the_wrong_way_is_refused(counting: Path) -> None:
    stderr = assert_clean_error(assay(
        "run", "-m", "pipeline=counting", "hydra/sweeper=optuna", "hydra.sweeper.n_trials=2",
        "knobs.power=choice(1,2)", "sweep.objective=score", "executor=threads", cwd=counting))
    assert "the sweeper would minimize the objective, but sweep.direction is maximize" in stderr
    assert not (counting / "calls.log").exists()


def test_the_optimiser_direction_is_checked_before_any_job_compiles(counting: Path) -> None:
    # knobs.scale=abc breaks every job; the direction is wrong before any job exists.
    stderr = assert_clean_error(assay(
        "run", "-m", "pipeline=counting", "hydra/sweeper=optuna", "hydra.sweeper.n_trials=2",
        "knobs.power=choice(1,2)", "knobs.scale=abc", "sweep.direction=maximize",
        "executor=threads", cwd=counting))
    assert "the sweeper would minimize the objective, but sweep.direction is maximize" in stderr
    assert "must be a number" not in stderr


def test_a_sweep_on_the_embedded_cluster_lists_its_jobs_without_cluster_chatter(
        counting: Path) -> None:
    # Sized by hand: by default the cluster has a worker per core and per GPU.
    result = assay("run", "-m", *SWEEP[:-1], "executor=local", "executor.n_workers=2",
                   "executor.gpu_workers=0", "executor.dashboard_address=null", cwd=counting)
    assert result.returncode == 0, result.stderr
    assert "Launching 6 jobs" in result.stdout and "#5 : pipeline=counting" in result.stdout
    assert "steps to run on Dask embedded LocalCluster: 2 workers, 2 threads\n" in result.stdout
    for chatter in ("Nanny", "Scheduler at", "Register worker"):
        assert chatter not in result.stdout + result.stderr


def test_a_fully_cached_sweep_on_the_embedded_cluster_starts_no_cluster(
        counting: Path, monkeypatch: pytest.MonkeyPatch, hydra_restore_singletons: None) -> None:
    from assay.executor.distributed import DistributedExecutor

    assert assay("run", "-m", *SWEEP, cwd=counting).returncode == 0  # fills the store
    monkeypatch.syspath_prepend(str(counting))
    started: list[dict[str, Any]] = []

    def local(cls: type[DistributedExecutor], **settings: Any) -> DistributedExecutor:
        started.append(settings)
        raise AssertionError("a fully cached sweep has nothing to run on a cluster")

    monkeypatch.setattr(DistributedExecutor, "local", classmethod(local))
    git_reads: list[Path] = []  # no version is new, so nothing asks git either
    monkeypatch.setattr("assay.engine.sweep.code_state", git_reads.append)
    returns = _multirun(counting, [*SWEEP[:-1], "executor=local"])
    assert [r.return_value["score"] for r in returns] == [2.0, 4.0, 8.0, 4.0, 16.0, 64.0]
    assert started == [] and git_reads == []
    assert _calls(counting) == {"fit": 6, "prepare": 2, "source": 1}


def test_jobs_named_by_hydras_resolver_keep_metrics_beside_their_hydra_files(
        counting: Path) -> None:
    # ${hydra:...} reads the job's own Hydra config, which Hydra sets only per job.
    result = assay("run", "-m", *SWEEP, "hydra.sweep.subdir=${hydra:job.override_dirname}",
                   cwd=counting)
    assert result.returncode == 0, result.stderr
    sweep_dir = sorted((counting / "multirun").glob("*/*"))[-1]
    jobs = sorted(p for p in sweep_dir.iterdir() if p.is_dir())
    assert len(jobs) == 6
    for job in jobs:
        assert "knobs.power=" in job.name, job.name
        assert (job / ".hydra" / "overrides.yaml").exists()
        assert (job / "metrics.json").exists(), sorted(p.name for p in job.iterdir())
