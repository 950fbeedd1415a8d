"""``assay monitor`` end to end: checks, records, the retraining trigger, bounded memory."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.helpers import assay, assert_clean_error

FAST = ["executor=threads"]


def _monitor(project: Path, *overrides: str) -> dict[str, Any]:
    result = assay("monitor", *FAST, *overrides, "--json", cwd=project)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _train(project: Path) -> Path:
    """A registered breast-cancer model, and the data again as it was, shifted, relabelled,
    without labels, and broken in the ways a check must refuse cleanly."""
    from sklearn.datasets import load_breast_cancer

    frame = load_breast_cancer(as_frame=True).frame
    frame.to_parquet(project / "same.parquet")
    shifted = frame.copy()
    shifted.iloc[:, :20] = shifted.iloc[:, :20] * 1.5  # 20 of 31 columns scaled
    shifted.to_parquet(project / "shifted.parquet")
    shifted.drop(columns="target").to_parquet(project / "unlabelled.parquet")
    relabelled = frame.copy()
    relabelled.loc[::3, "target"] = 1 - relabelled.loc[::3, "target"]  # a third of labels flipped
    relabelled.to_parquet(project / "relabelled.parquet")
    frame.drop(columns="mean radius").to_parquet(project / "unfeatured.parquet")
    frame.head(0).to_csv(project / "header.csv", index=False)
    (project / "notes.txt").write_text("not a table\n")
    (project / "empty").mkdir()
    result = assay("run", *FAST, cwd=project)
    assert result.returncode == 0, result.stderr
    return project


@pytest.fixture
def trained(project: Path) -> Path:
    """A trained project of its own (for tests that record checks or retrain)."""
    return _train(project)


@pytest.fixture(scope="module")
def trained_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One trained project shared by checks that fail before anything is recorded."""
    from tests.conftest import REPO

    root = tmp_path_factory.mktemp("refused") / "project"
    root.mkdir()
    for folder in ("configs", "pipelines"):
        shutil.copytree(REPO / folder, root / folder)
    return _train(root)


def test_a_check_finds_drift_only_where_there_is_some(trained: Path) -> None:
    same = _monitor(trained, "monitor.current=same.parquet")
    assert same["model"] == "logistic-regression:v1" and same["rows"] == 569
    assert not same["drifted"] and same["drift_share"] == 0.0
    shifted = _monitor(trained, "monitor.current=shifted.parquet")
    by_column = {c["column"]: c for c in shifted["columns"]}
    assert shifted["drifted"] and shifted["drift_share"] >= 0.5
    # the training split has 426 rows: Evidently's rule picks KS for numeric columns
    assert by_column["mean radius"]["test"] == "ks" and by_column["mean radius"]["verdict"] == "drift"
    assert by_column["worst symmetry"]["verdict"] == "no drift"  # an unscaled column
    assert by_column["target"]["test"] == "z"
    text = assay("monitor", *FAST, "monitor.current=shifted.parquet", cwd=trained).stdout
    assert "dataset: DRIFT" in text and "mean radius" in text
    import sqlite3

    with sqlite3.connect(trained / ".assay" / "assay.db") as db:
        stored = db.execute("SELECT drifted, result FROM drift_checks ORDER BY checked").fetchall()
    assert [row[0] for row in stored] == [0, 1, 1]
    assert "mean radius" in {c["column"] for c in json.loads(stored[1][1])["columns"]}


def test_the_trigger_fires_when_the_rule_holds_and_not_again_within_the_cooldown(
        trained: Path) -> None:
    rule = ['monitor.retrain.when="drift_share >= 0.5"', "monitor.reference=logistic-regression:v1"]
    calm = _monitor(trained, "monitor.current=same.parquet", *rule)
    assert calm["trigger"]["fired"] is False and calm["trigger"]["reason"] == "the rule does not hold"
    fired = _monitor(trained, "monitor.current=shifted.parquet", *rule)
    assert fired["trigger"]["fired"] is True
    assert fired["trigger"]["inputs"]["drift_share"] == fired["drift_share"]
    assert fired["retrain"]["version"] == "logistic-regression:v2"
    # the executor is given once: the monitor's, not the version's as well
    assert [a for a in fired["retrain"]["command"] if a.startswith("executor")] == FAST
    challenger = json.loads(assay("models", "show", "logistic-regression@challenger", "--json",
                                  cwd=trained).stdout)
    assert challenger["version"] == 2 and challenger["datasets"][0]["rows"] == 569 * 2
    held = _monitor(trained, "monitor.current=shifted.parquet", *rule)
    assert held["trigger"]["fired"] is False and "cooldown" in held["trigger"]["reason"]
    again = _monitor(trained, "monitor.current=shifted.parquet", *rule, "monitor.retrain.cooldown=0s")
    assert again["trigger"]["fired"] is True
    import sqlite3

    with sqlite3.connect(trained / ".assay" / "assay.db") as db:
        decisions = db.execute("SELECT fired, reason, outcome FROM retrain_triggers ORDER BY id").fetchall()
    assert [d[0] for d in decisions] == [0, 1, 0, 1]
    assert decisions[1][2].startswith("registered logistic-regression:v2 as challenger")
    with sqlite3.connect(trained / ".assay" / "assay.db") as db:
        stored = [json.loads(r[0]) for r in db.execute("SELECT result FROM drift_checks")]
    # each check is stored with the decision made on it
    assert [c["trigger"]["fired"] for c in stored] == [False, True, False, True]


def test_unlabelled_current_data_does_not_fire_a_retraining_it_cannot_run(
        trained: Path) -> None:
    rule = 'monitor.retrain.when="drift_share >= 0.5"'
    checked = _monitor(trained, "monitor.current=unlabelled.parquet", rule)
    assert checked["drifted"] and checked["performance"] is None
    assert checked["trigger"]["fired"] is False and not checked["retrain"]
    assert "the current data has no 'target' column" in checked["trigger"]["reason"]
    # no firing, so no cooldown: labelled data fires at once
    assert _monitor(trained, "monitor.current=shifted.parquet", rule)["trigger"]["fired"]


def test_prediction_and_performance_drift_feed_the_rule(trained: Path) -> None:
    same = _monitor(trained, "monitor.current=same.parquet")
    assert same["prediction"]["verdict"] == "no drift"
    assert same["performance"]["current"]["roc_auc"] > 0.98
    assert set(same["performance"]["drops"]) == {"accuracy_drop", "roc_auc_drop"}
    rule = 'monitor.retrain.when="roc_auc_drop >= 0.02"'
    kept = _monitor(trained, "monitor.current=same.parquet", rule)
    assert kept["trigger"]["fired"] is False
    flipped = _monitor(trained, "monitor.current=relabelled.parquet", rule)
    assert flipped["performance"]["drops"]["roc_auc_drop"] > 0.2
    assert not flipped["drifted"]  # the features did not move; only the labels did
    assert flipped["trigger"]["fired"] is True and flipped["retrain"]["version"]


def test_any_data_file_can_be_the_reference(trained: Path) -> None:
    checked = _monitor(trained, "monitor.current=shifted.parquet", "monitor.reference=same.parquet")
    assert checked["model"] == "same.parquet" and checked["drifted"]
    assert checked["prediction"] is None and checked["performance"] is None
    # 569 reference rows: the tests Evidently uses for a small reference
    assert {c["test"] for c in checked["columns"]} <= {"ks", "z", "chisquare"}


DRIFT_SPEC = """
steps:
  reference:
    uses: load_dataset
    with: {source: "${data}"}
  current:
    uses: load_dataset
    with:
      source: {_target_: assay.steps.sources.DataFile, path: shifted.parquet, target: target}
  profile:
    uses: profile_dataset
    inputs: {data: reference.data}
  drift:
    uses: check_drift
    inputs: {reference: profile.profile, current: current.data}
    with: {drift_share: 0.5, correction: bh}
metrics: [drift.drift]
"""


def test_the_drift_check_is_a_step_of_any_pipeline(trained: Path) -> None:
    (trained / "pipelines" / "driftcheck.yaml").write_text(DRIFT_SPEC)
    result = assay("run", *FAST, "pipeline=driftcheck", cwd=trained)
    assert result.returncode == 0, result.stderr
    metrics = json.loads(sorted(trained.glob("outputs/*/*/metrics.json"))[-1].read_text())
    assert metrics["drifted"] and metrics["drift_share"] >= 0.5
    assert {c["column"] for c in metrics["columns"]} >= {"mean radius", "target"}


@pytest.mark.parametrize(("overrides", "message"), [
    ([], "there is no current data to check"),
    (["monitor.current=nowhere.parquet"], "the current data does not exist"),
    (["monitor.current=same.parquet", 'monitor.retrain.when="drift_shar > 1"'],
     "the rule names 'drift_shar'"),
    (["monitor.current=same.parquet", "monitor.reference=nothing"], "no model is registered"),
    (["monitor.current=same.parquet", "monitor.correction=holm"], "'monitor.correction'"),
    (["monitor.current=notes.txt"], "cannot read the file as Parquet"),
    (["monitor.current=empty"], "the folder holds no Parquet files"),
    (["monitor.current=header.csv"], "the current data has no rows"),
    (["monitor.current=same.parquet", "monitor.reference=typo.parquet"],
     "the reference data does not exist"),
    (["monitor.current=notes.txt", "monitor.retrain.cooldown=soon"], "'soon' is not a duration"),
    (["monitor.current=unfeatured.parquet"], "lacks the model's feature column(s) 'mean radius'"),
    (["monitor.current=same.parquet", "+monitor.columns.target={test: foo}"],
     "'monitor.columns.target.test' is out of range"),
    (["monitor.current=same.parquet", "+monitor.columns.mean_radius={test: ks}"],
     "did you mean 'mean radius'?"),
    (["monitor.current=same.parquet", "monitor.tests.categorical=ks"],
     "'monitor.tests.categorical' is out of range"),
    (["monitor.current=same.parquet", "+monitor.tests.text=ks"], "'monitor.tests'"),
    (["monitor.current=same.parquet", 'monitor.retrain.when="f1_drop > 0.1"'],
     "the rule names 'f1_drop'"),  # recorded at evaluation, never measured by a check
    (["monitor.current=same.parquet", "monitor.retrain.when=\"drift_share >= 'a'\""],
     "which is not a number"),
])
def test_bad_monitor_input_is_a_clean_error(trained_once: Path, overrides: list[str],
                                            message: str) -> None:
    assert message in assert_clean_error(assay("monitor", *FAST, *overrides, cwd=trained_once))


def _write_big(folder: Path, rows: int, files: int) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir()
    rng = np.random.default_rng(0)
    per_file = rows // files
    for index in range(files):
        table = pa.table({f"x{c}": rng.normal(0.1 * c, 1.0, per_file) for c in range(4)}
                         | {"target": rng.integers(0, 2, per_file)})
        pq.write_table(table, folder / f"part-{index:03d}.parquet", row_group_size=250_000)


def _peak_memory(project: Path, *overrides: str) -> tuple[int, dict[str, Any]]:
    """The peak resident memory of ``assay monitor`` with its workers, and its report."""
    import psutil

    process = subprocess.Popen([sys.executable, "-m", "assay", "monitor", *overrides, "--json"],
                               cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    peak = 0
    watched = psutil.Process(process.pid)
    while process.poll() is None:
        try:
            tree = [watched, *watched.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.05)
    out, err = process.communicate()
    assert process.returncode == 0, err
    return peak, json.loads(out)


@pytest.mark.e2e
def test_ten_million_rows_are_checked_in_bounded_memory(project: Path) -> None:
    rows, columns = 10_000_000, 5
    _write_big(project / "big", rows, 20)
    sample = project / "sample.parquet"
    import pandas as pd

    pd.read_parquet(project / "big" / "part-000.parquet").head(20_000).to_parquet(sample)
    trained = assay("run", *FAST, "data=parquet", "data.path=sample.parquet",
                    "data.target=target", cwd=project)
    assert trained.returncode == 0, trained.stderr
    # Two workers on any machine: what streaming bounds is memory per worker.
    cluster = ["executor=local", "executor.n_workers=2"]
    baseline, _ = _peak_memory(project, *cluster, "monitor.current=sample.parquet")
    peak, report = _peak_memory(project, *cluster, "monitor.current=big")
    assert report["rows"] == rows and report["pieces"] == 40
    # Loading the data whole would take rows x columns x 8 bytes (400 MB) above the
    # processes' own memory (the baseline: the same check of 20,000 rows); streaming it
    # holds a few row groups per worker (about 150 MiB here; the bound leaves room for
    # noise in sampling memory while staying below what loading it whole would need).
    in_memory = rows * columns * 8
    assert peak - baseline < in_memory * 0.75, (
        f"peak {peak / 2**20:.0f} MiB, baseline {baseline / 2**20:.0f} MiB")
    assert peak < 2 * 1024**3, f"peak {peak / 1024**3:.2f} GiB"
    assert not report["drifted"]  # the same distribution, sampled differently
