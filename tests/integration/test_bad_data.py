"""Data that is wrong is never used silently: the real command line on damaged data files.

``assay run data=csv`` and ``assay monitor`` either read a file as it is meant or stop with
exit 2, the file, the line and what to do; a run stopped this way is recorded as failed
and leaves nothing half-written. The task (classification or regression) is checked
against the model before anything runs.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import assay, assert_clean_error
from tests.integration.test_bad_inputs import _assert_nothing_half_written

FAST = ("executor=threads",)
ROWS = [f"{i},{(i * 7) % 11},{i % 2}" for i in range(40)]
GOOD = "a,b,y\n" + "\n".join(ROWS) + "\n"


def _with_rows(**changed: str) -> str:
    """GOOD with some data rows (by index, ``r5=...``) replaced."""
    rows = list(ROWS)
    for key, text in changed.items():
        rows[int(key[1:])] = text
    return "a,b,y\n" + "\n".join(rows) + "\n"


def _last_run_status(project: Path) -> str:
    runs = json.loads(assay("runs", "list", "--json", cwd=project).stdout)
    return str(runs[0]["status"])


CSV_CASES = {
    "repeated header names": (
        "a,b,a,y\n" + "".join(f"{i},{i},{i},{i % 2}\n" for i in range(20)),
        "bad.csv:1, step 'load', key 'data.path': the header names a column more than once: "
        "'a' is column 1 and 3"),
    "a word in a number column": (
        _with_rows(r5="5,abc,1", r30="30,?,0"),
        "bad.csv:7, step 'load', key 'data.path': column 'b' holds numbers, and 2 values that "
        "are not: 'abc' (line 7), '?' (line 32)"),
    "a byte that is not UTF-8": (
        GOOD.encode() + b"41,caf\xe9,1\n",
        "bad.csv:42, step 'load', key 'data.path': byte 0xe9 on line 42, column 7 is not UTF-8"),
    "a row with too many fields": (
        _with_rows(r3="3,4,1,9"),
        "bad.csv:5, step 'load', key 'data.path': line 5 has 4 fields, the header has 3"),
    "a short row": (
        _with_rows(r10="10,1"),
        "bad.csv:12, step 'load', key 'data.path': line 12 has 2 fields, the header has 3"),
    "a quote never closed": (
        _with_rows(r20='20,"7,1'),
        "bad.csv:22, step 'load', key 'data.path': the quote opened on line 22, column 4 is never closed"),
}


@pytest.mark.parametrize("name", list(CSV_CASES))
def test_a_damaged_csv_file_stops_the_run_with_its_line(project: Path, name: str) -> None:
    content, expected = CSV_CASES[name]
    (project / "bad.csv").write_bytes(content if isinstance(content, bytes) else content.encode())
    result = assay("run", "data=csv", "data.path=bad.csv", "data.target=y", *FAST, cwd=project)
    stderr = assert_clean_error(result)
    assert expected in stderr, stderr
    assert _last_run_status(project) == "failed"
    _assert_nothing_half_written(project / ".assay")


def test_a_word_in_a_number_column_is_read_as_the_config_says(project: Path) -> None:
    (project / "bad.csv").write_text(_with_rows(r5="5,abc,1"))
    # coerced values are missing: a model that takes missing values
    for extra in (("data.categorical=[b]", "features=onehot_standard"),
                  ("data.coerce=[b]", "model=hist_gbm")):
        result = assay("run", "data=csv", "data.path=bad.csv", "data.target=y", *FAST, *extra,
                       cwd=project)
        assert result.returncode == 0, result.stderr
    assert _last_run_status(project) == "succeeded"


def test_a_folder_given_as_a_file_says_so(project: Path) -> None:
    (project / "folder.csv").mkdir()
    stderr = assert_clean_error(assay("run", "data=csv", "data.path=folder.csv", "data.target=y",
                                      *FAST, cwd=project))
    assert "key 'data.path': a folder with no Parquet files: folder.csv" in stderr


COUNTS = "x,mdvis\n" + "".join(f"{i * 0.37 % 5:.2f},{(i * 13) % 17}\n" for i in range(120))


def test_a_regressor_on_a_count_target_runs_as_regression(project: Path) -> None:
    (project / "counts.csv").write_text(COUNTS)
    result = assay("run", "data=csv", "data.path=counts.csv", "data.target=mdvis",
                   "model=hist_gbm_regressor", *FAST, cwd=project)
    assert result.returncode == 0, result.stderr
    assert "r2" in result.stdout and "cannot stratify" not in result.stderr


@pytest.mark.parametrize(("task", "model", "expected"), [
    ("classification", "hist_gbm_regressor",
     "step 'train', key 'model': HistGradientBoostingRegressor is a regressor, but 'counts.csv' "
     "is a classification task"),
    ("regression", "logistic",
     "step 'train', key 'model': LogisticRegression is a classifier, but 'counts.csv' is a "
     "regression task"),
])
def test_a_model_of_the_other_task_is_refused_before_anything_runs(
        project: Path, task: str, model: str, expected: str) -> None:
    (project / "counts.csv").write_text(COUNTS)
    stderr = assert_clean_error(assay("run", "data=csv", "data.path=counts.csv",
                                      "data.target=mdvis", f"data.task={task}", f"model={model}",
                                      *FAST, cwd=project))
    assert expected in stderr and "data.task=" in stderr.split("hint:")[1]
    artifacts = project / ".assay" / "artifacts"
    assert not artifacts.exists() or not any(artifacts.glob("??/*"))  # nothing ran


PLAIN_MODEL = """
import numpy as np
from sklearn.base import BaseEstimator


class Plain(BaseEstimator):  # no ClassifierMixin or RegressorMixin: its kind is unknown
    def fit(self, X, y):
        self.mean_ = float(np.mean(y))
        return self

    def predict(self, X):
        return np.full(len(X), self.mean_)
"""


def test_an_estimator_of_unknown_kind_leaves_the_task_to_the_target(project: Path) -> None:
    (project / "plainmodels.py").write_text(PLAIN_MODEL)
    (project / "configs" / "model" / "plain.yaml").write_text("_target_: plainmodels.Plain\n")
    (project / "counts.csv").write_text(COUNTS)
    args = ("run", "data=csv", "data.path=counts.csv", "data.target=mdvis", "model=plain", *FAST)
    stderr = assert_clean_error(assay(*args, cwd=project))
    assert "cannot tell whether the target 'mdvis' holds classes or a quantity" in stderr
    assert "set data.task=classification or data.task=regression" in stderr
    result = assay(*args, "data.task=regression", cwd=project)
    assert result.returncode == 0, result.stderr


def test_a_sweep_of_an_estimator_of_unknown_kind_ranks_by_its_task_metric(
        project: Path) -> None:
    # The target's fractions make the task regression once the data is loaded: the
    # leaderboard ranks by r2 although data.task was still auto when the jobs compiled.
    (project / "plainmodels.py").write_text(PLAIN_MODEL)
    (project / "configs" / "model" / "plain.yaml").write_text("_target_: plainmodels.Plain\n")
    (project / "amounts.csv").write_text(COUNTS.replace("mdvis", "amount").replace("\n", ".5\n")
                                         .replace("amount.5", "amount"))
    result = assay("run", "-m", "data=csv", "data.path=amounts.csv", "data.target=amount",
                   "model=plain", "split.seed=1,2", *FAST, cwd=project)
    assert result.returncode == 0, result.stderr
    header = next(line for line in result.stdout.splitlines() if line.strip().startswith("rank"))
    assert header.split()[:3] == ["rank", "job", "r2"]


# ---------------------------------------------------------------- assay monitor

REFERENCE = "a,b,color\n" + "".join(f"{i * 0.5},{i % 9},{'rgb'[i % 3]}\n" for i in range(90))


def _monitor(project: Path, current: str, content: str | bytes, *extra: str,
             reference: str = REFERENCE) -> tuple[int, str, str]:
    (project / "reference.csv").write_text(reference)
    path = project / current
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    result = assay("monitor", *FAST, "monitor.reference=reference.csv",
                   f"monitor.current={current}", *extra, cwd=project)
    return result.returncode, result.stdout, result.stderr


def _reference_rows(**changed: str) -> str:
    rows = REFERENCE.splitlines()
    for key, text in changed.items():
        rows[int(key[1:]) + 1] = text
    return "\n".join(rows) + "\n"


MONITOR_CASES = {
    "a quote never closed": (
        _reference_rows(r4='2.0,"4,b'),
        "current.csv:6, key 'monitor.current': the quote opened on line 6, column 5 is never closed"),
    "a row with too many fields": (
        _reference_rows(r7="3.5,7,b,extra"),
        "current.csv:9, key 'monitor.current': line 9 has 4 fields, the header has 3"),
    "a short row": (
        _reference_rows(r8="4.0,8"),
        "current.csv:10, key 'monitor.current': line 10 has 2 fields, the header has 3"),
    "a word in a number column": (
        _reference_rows(r50="oops,5,r"),
        "current.csv:52, key 'monitor.current': column 'a' holds numbers, and 1 value that is "
        "not: 'oops' (line 52)"),
}


@pytest.mark.parametrize("name", list(MONITOR_CASES))
def test_monitor_refuses_damaged_current_data_with_its_line(project: Path, name: str) -> None:
    content, expected = MONITOR_CASES[name]
    code, stdout, stderr = _monitor(project, "current.csv", content)
    assert code == 2 and "Traceback" not in stderr + stdout, stderr
    assert expected in stderr, stderr


def test_monitor_refuses_a_damaged_reference_with_its_line(project: Path) -> None:
    code, _, stderr = _monitor(project, "current.csv", REFERENCE,
                               reference=_reference_rows(r3="1.5,3"))
    assert code == 2 and "Traceback" not in stderr
    assert "reference.csv:5, key 'monitor.reference': line 5 has 2 fields, the header has 3" \
        in stderr


@pytest.mark.parametrize("current", ["current.csv", "current.parquet"])
def test_a_column_the_current_data_lacks_is_missing_and_counts_as_drifted(
        project: Path, current: str) -> None:
    import io

    import pandas as pd

    without_b = pd.read_csv(io.StringIO(REFERENCE)).drop(columns="b")
    if current.endswith(".csv"):
        content: str | bytes = without_b.to_csv(index=False)
    else:
        buffer = io.BytesIO()
        without_b.to_parquet(buffer)
        content = buffer.getvalue()
    code, stdout, stderr = _monitor(project, current, content, "--json")
    assert code == 0, stderr
    checked = json.loads(stdout)
    by_column = {c["column"]: c for c in checked["columns"]}
    assert checked["missing_columns"] == ["b"] and by_column["b"]["verdict"] == "missing"
    assert by_column["a"]["verdict"] == "no drift" and by_column["color"]["verdict"] == "no drift"
    assert checked["drift_share"] == pytest.approx(1 / 3)
    code, stdout, _ = _monitor(project, current, content)
    assert code == 0 and "missing" in stdout


def test_a_missing_column_can_be_left_out_of_the_share(project: Path) -> None:
    content = "a,color\n" + "".join(f"{i * 0.5},{'rgb'[i % 3]}\n" for i in range(90))
    code, stdout, stderr = _monitor(project, "current.csv", content, "--json",
                                    "monitor.missing_columns=ignore")
    assert code == 0, stderr
    checked = json.loads(stdout)
    assert checked["missing_columns"] == ["b"] and checked["drift_share"] == 0.0
    code, _, stderr = _monitor(project, "current.csv", content, "monitor.missing_columns=maybe")
    assert code == 2 and "'monitor.missing_columns'" in stderr
