"""torch models through the whole tool: train, evaluate, register, resume, schedule on GPUs."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch

from assay.config.compose import compose
from assay.config.project import locate_project
from assay.engine import prepare
from assay.engine.execute import task_graph
from assay.executor import Callbacks, make_executor
from tests.helpers import assay, assert_clean_error


def _registered(project: Path, ref: str) -> dict:
    result = assay("models", "show", ref, "--json", cwd=project)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_an_mlp_trains_evaluates_and_registers_like_any_model(project: Path) -> None:
    result = assay("run", "model=mlp", "executor=threads", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "9 steps: 9 ran" in result.stdout and "registered mlp-classifier:v1" in result.stdout
    version = _registered(project, "mlp-classifier")
    metrics = version["metrics"]
    # breast_cancer's majority class is 63% of the rows: the MLP must be far above that.
    assert metrics["accuracy"] >= 0.93 and metrics["roc_auc"] >= 0.97
    assert version["estimator"] == "assay.torch.estimators.MLPClassifier"
    curve = version["training"]["history"]
    assert curve[0]["epoch"] == 1 and {"train_loss", "val_loss"} <= set(curve[0])
    assert version["training"]["device"] == "cpu"
    again = assay("run", "model=mlp", "executor=threads", cwd=project)
    assert "9 steps: 0 ran, 9 from cache" in again.stdout


def test_cuda_without_a_gpu_is_refused_before_running(project: Path) -> None:
    result = assay("run", "model=mlp", "model.device=cuda", "executor=threads", cwd=project)
    stderr = assert_clean_error(result)
    assert "key 'model.device'" in stderr and "executor has 0 GPU(s)" in stderr
    assert "model.device=auto" in stderr
    planned = assay("plan", "model=mlp", "model.device=cuda:1", cwd=project)
    assert "key 'model.device'" in assert_clean_error(planned)


def test_the_compiler_marks_cuda_training_for_a_gpu_worker(project: Path) -> None:
    plans = {}
    for device in ("cuda", "auto", "cpu"):
        cfg = compose(locate_project(project), ["model=mlp", f"model.device={device}",
                                                "executor.gpu_workers=1", "evaluate.cv_folds=2"])
        plans[device] = prepare(cfg, locate_project(project)).plan
    # Every step that fits the estimator: training, and each cross-validation fold.
    for node in ("train", "cv_fold[0]", "cv_fold[1]"):
        assert plans["cuda"].node(node).resources.as_dask() == {"GPU": 1}, node
        assert plans["auto"].node(node).resources.as_dask() == {}, node
        assert plans["cpu"].node(node).resources.as_dask() == {}, node
    assert plans["cuda"].node("evaluate").resources.as_dask() == {}  # scoring needs no GPU


WHERE = """
steps:
  where:
    uses: "tests.sample_steps:sample_where"
    foreach: 6
    with: {gpu: "${item}", item: "${item}"}
"""


def test_gpu_marked_nodes_run_only_on_the_gpu_worker(project: Path) -> None:
    # Items 1..5 ask for a GPU (a true-ish number), item 0 does not.
    (project / "pipelines" / "where.yaml").write_text(textwrap.dedent(WHERE))
    cfg = compose(locate_project(project), ["pipeline=where", "executor.gpu_workers=1"])
    prepared = prepare(cfg, locate_project(project))
    assert [prepared.plan.node(f"where[{i}]").resources.gpu for i in range(6)] == [0, 1, 1, 1, 1, 1]
    settings = {"kind": "local", "n_workers": 2, "gpu_workers": 1, "dashboard_address": None}
    with make_executor(settings) as executor:
        assert executor.gpu_capacity() == 1
        graph = task_graph(prepared.plan, prepared.to_run, prepared.store, "gpu-test")
        outcomes = executor.run(graph, Callbacks())
    assert all(o.ok for o in outcomes.values())
    workers = {node: prepared.store.artifacts.read(prepared.plan.node(node).fingerprint,
                                                  "metrics")["worker"] for node in outcomes}
    assert {workers[f"where[{i}]"] for i in range(1, 6)} == {"gpu-0"}


def test_a_killed_training_resumes_from_its_last_checkpoint(project: Path) -> None:
    run = ["run", "model=mlp", "model.epochs=30", "model.patience=null", "model.batch_size=64",
           "data=synthetic", "data.n_rows=20000", "executor=threads"]
    process = subprocess.Popen([sys.executable, "-m", "assay", *run], cwd=project,
                               start_new_session=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 180
    epoch = 0
    while epoch < 3:
        assert process.poll() is None and time.monotonic() < deadline, "training ended first"
        checkpoints = list((project / ".assay" / "resume").glob("*/*/torch/last.pt"))
        if checkpoints:
            with contextlib.suppress(RuntimeError, EOFError, KeyError, OSError):
                epoch = torch.load(checkpoints[0], weights_only=True)["epoch"]  # may be mid-swap
        time.sleep(0.1)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)

    resumed = assay(*run, cwd=project)
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming from the checkpoint of epoch" in resumed.stderr
    training = _registered(project, "mlp-classifier")["training"]
    assert training["resumed_from_epoch"] >= 3
    assert [h["epoch"] for h in training["history"]] == list(range(1, 31))
    assert not list((project / ".assay" / "resume").glob("*/*/torch/last.pt"))  # cleaned up


@pytest.mark.parametrize("model", ["mlp_regressor", "torch"])
def test_the_other_torch_configs_train(project: Path, model: str) -> None:
    data = ["data=diabetes"] if model == "mlp_regressor" else []
    result = assay("run", f"model={model}", *data, "model.epochs=20", "executor=threads",
                   cwd=project)
    assert result.returncode == 0, result.stderr
    metrics = json.loads(sorted(project.glob("outputs/*/*/metrics.json"))[-1].read_text())
    if model == "mlp_regressor":
        assert metrics["r2"] > 0.2
    else:
        assert metrics["roc_auc"] > 0.95
