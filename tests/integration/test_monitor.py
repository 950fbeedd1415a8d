"""``assay monitor`` end to end: checks, records, the retraining trigger, bounded memory."""

from __future__ import annotations

import json
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


@pytest.fixture
def trained(project: Path) -> Path:
    """A registered breast-cancer model, and the data again as it was and shifted."""
    from sklearn.datasets import load_breast_cancer

    frame = load_breast_cancer(as_frame=True).frame
    frame.to_parquet(project / "same.parquet")
    shifted = frame.copy()
    shifted.iloc[:, :20] = shifted.iloc[:, :20] * 1.5  # 20 of 31 columns scaled
    shifted.to_parquet(project / "shifted.parquet")
    relabelled = frame.copy()
    relabelled.loc[::3, "target"] = 1 - relabelled.loc[::3, "target"]  # a third of labels flipped
    relabelled.to_parquet(project / "relabelled.parquet")
    result = assay("run", *FAST, cwd=project)
    assert result.returncode == 0, result.stderr
    return project


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
])
def test_bad_monitor_input_is_a_clean_error(trained: Path, overrides: list[str],
                                            message: str) -> None:
    assert message in assert_clean_error(assay("monitor", *FAST, *overrides, cwd=trained))


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


@pytest.mark.e2e
def test_ten_million_rows_are_checked_in_bounded_memory(project: Path) -> None:
    import psutil

    _write_big(project / "big", 10_000_000, 20)
    sample = project / "sample.parquet"
    import pandas as pd

    pd.read_parquet(project / "big" / "part-000.parquet").head(20_000).to_parquet(sample)
    trained = assay("run", *FAST, "data=parquet", "data.path=sample.parquet",
                    "data.target=target", cwd=project)
    assert trained.returncode == 0, trained.stderr
    process = subprocess.Popen([sys.executable, "-m", "assay", "monitor", "executor=local",
                                "monitor.current=big", "--json"], cwd=project,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
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
    report = json.loads(out)
    assert report["rows"] == 10_000_000 and report["pieces"] == 40
    assert peak < 2 * 1024**3, f"peak {peak / 1024**3:.2f} GiB"
    assert not report["drifted"]  # the same distribution, sampled differently
