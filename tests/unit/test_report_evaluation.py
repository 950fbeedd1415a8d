"""A model card's evaluation: bootstrap intervals, slices, importance and curves."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from assay.artifacts import Dataset
from assay.errors import ConfigError
from assay.report import bootstrap
from assay.report.evaluation import Evaluation, _predict, evaluate
from assay.steps.metrics import score

BENIGN, MALIGNANT = "<script>alert(1)</script>", "$x$"  # labels that must survive as plain text


def _fitted(frame: pd.DataFrame, task: str) -> tuple[Any, Dataset]:
    """A pipeline fitted on every other row, and the remaining rows as test data."""
    data = Dataset(frame, "target", task)  # type: ignore[arg-type]
    train, test = data.with_frame(frame.iloc[::2]), data.with_frame(frame.iloc[1::2])
    estimator = LogisticRegression(max_iter=1000) if task == "classification" else Ridge(alpha=0.1)
    model = Pipeline([("features", StandardScaler()), ("estimator", estimator)])
    return model.fit(train.features, train.labels), test


def _binary() -> pd.DataFrame:
    frame = load_breast_cancer(as_frame=True).frame
    frame = frame[[c for c in frame.columns if c.startswith("mean ")] + ["target"]]  # fewer to permute
    frame["target"] = np.where(frame["target"] == 1, BENIGN, MALIGNANT)
    return frame


@pytest.fixture(scope="module")
def binary() -> tuple[Any, Dataset]:
    return _fitted(_binary(), "classification")


@pytest.fixture(scope="module")
def multiclass() -> tuple[Any, Dataset]:
    return _fitted(load_iris(as_frame=True).frame, "classification")


@pytest.fixture(scope="module")
def regression() -> tuple[Any, Dataset]:
    return _fitted(load_diabetes(as_frame=True).frame, "regression")


CASES = ["binary", "multiclass", "regression"]


@pytest.mark.parametrize("case", CASES)
def test_point_values_agree_with_score(case: str, request: pytest.FixtureRequest) -> None:
    model, data = request.getfixturevalue(case)
    evaluation = evaluate(model, data, resamples=200)
    expected = score(model, data.features, data.labels, data.task)
    names = [m.name for m in evaluation.metrics]
    assert names == {"binary": ["accuracy", "f1", "roc_auc", "log_loss"],
                     "multiclass": ["accuracy", "f1_macro", "roc_auc", "log_loss"],
                     "regression": ["rmse", "mae", "r2"]}[case]
    for metric in evaluation.metrics:
        assert metric.value == pytest.approx(expected[metric.name], abs=1e-12)
    assert evaluation.rows == len(data.frame)


@pytest.mark.parametrize("case", CASES)
def test_bootstrap_statistics_with_unit_weights_equal_score(case: str,
                                                            request: pytest.FixtureRequest) -> None:
    """The vectorised statistics compute the same metrics as ``score``."""
    model, data = request.getfixturevalue(case)
    _, outcomes = _predict(model, data)
    columns, statistics = bootstrap._statistics(outcomes)
    weights = np.ones((1, len(columns)))
    expected = score(model, data.features, data.labels, data.task)
    for name, statistic in statistics.items():
        assert statistic(weights @ columns, weights)[0] == pytest.approx(expected[name], rel=1e-9), name


def test_bootstrap_statistics_count_unseen_labels_as_score_does(
        multiclass: tuple[Any, Dataset]) -> None:
    model, data = multiclass
    frame = data.frame.copy()
    frame.loc[frame.index[::9], "target"] = 7  # a class the model never saw
    unseen = data.with_frame(frame)
    _, outcomes = _predict(model, unseen)
    columns, statistics = bootstrap._statistics(outcomes)
    weights = np.ones((1, len(columns)))
    expected = score(model, unseen.features, unseen.labels, unseen.task)
    assert set(statistics) == {"accuracy", "f1_macro"}
    for name, statistic in statistics.items():
        assert statistic(weights @ columns, weights)[0] == pytest.approx(expected[name], rel=1e-9), name


def test_weighted_auc_matches_scikit_learn_with_ties_and_weights() -> None:
    rng = np.random.default_rng(3)
    positive = rng.random(400) < 0.3
    scores = np.round(rng.random(400) + positive * 0.3, 1)  # coarse: many ties
    weights = rng.integers(0, 4, 400).astype(float)
    order = bootstrap._auc_order(positive, scores)
    auc = bootstrap._sorted_auc(positive[order], scores[order])(None, weights[order][None, :])[0]
    assert auc == pytest.approx(roc_auc_score(positive, scores, sample_weight=weights), abs=1e-12)


@pytest.mark.parametrize("case", ["binary", "regression"])
def test_intervals_contain_the_value_and_narrow_with_more_rows(case: str,
                                                                request: pytest.FixtureRequest) -> None:
    model, data = request.getfixturevalue(case)
    few = evaluate(model, data, resamples=300, max_rows=60)
    many = evaluate(model, data, resamples=300)
    assert few.rows == 60
    for small, large in zip(few.metrics, many.metrics, strict=True):
        assert large.low <= large.value <= large.high
        assert small.low <= small.value <= small.high
        assert large.high - large.low < small.high - small.low, small.name


def test_evaluation_is_deterministic_and_seeded(binary: tuple[Any, Dataset]) -> None:
    model, data = binary
    first = evaluate(model, data, slices=["mean radius"], resamples=200, max_rows=200)
    second = evaluate(model, data, slices=["mean radius"], resamples=200, max_rows=200)
    assert first.to_json() == second.to_json()
    other = evaluate(model, data, slices=["mean radius"], resamples=200, max_rows=200, seed=1)
    assert other.to_json() != first.to_json()


def test_slices_partition_the_rows() -> None:
    frame = _binary()
    numeric = [c for c in frame.columns if c != "target"]
    rng = np.random.default_rng(0)
    frame["site"] = rng.choice([f"site-{i}" for i in range(30)], len(frame))  # beyond 20 groups
    frame["kind"] = rng.choice(np.array(["a", "b", None], dtype=object), len(frame))  # some missing
    data = Dataset(frame, "target", "classification")
    features = ColumnTransformer([("scale", StandardScaler(), numeric)])  # the text columns are dropped
    model = Pipeline([("features", features), ("estimator", LogisticRegression(max_iter=1000))])
    model.fit(data.features, data.labels)
    evaluation = evaluate(model, data, slices=["mean radius", "site", "kind"], resamples=50)
    for column in ("mean radius", "site", "kind"):
        groups = [s for s in evaluation.slices if s.column == column]
        assert sum(s.rows for s in groups) == evaluation.rows
        assert len(groups) <= 20
        assert all(set(s.metrics) <= {"accuracy", "f1", "roc_auc", "log_loss"} for s in groups)
    quartiles = [s.value for s in evaluation.slices if s.column == "mean radius"]
    assert len(quartiles) == 4 and quartiles[0].startswith("[") and quartiles[-1].endswith("]")
    assert "(other)" in [s.value for s in evaluation.slices if s.column == "site"]
    assert "(missing)" in [s.value for s in evaluation.slices if s.column == "kind"]


def test_a_slice_metric_matches_score_on_its_rows(regression: tuple[Any, Dataset]) -> None:
    model, data = regression
    evaluation = evaluate(model, data, slices=["sex"], resamples=50)
    sexes = data.frame["sex"].astype(str)
    for group in evaluation.slices:
        rows = data.frame[sexes == group.value]
        expected = score(model, rows.drop(columns="target"), rows["target"], "regression")
        assert group.rows == len(rows)
        assert group.metrics["rmse"] == pytest.approx(expected["rmse"])


def test_unknown_slice_column_is_a_config_error(binary: tuple[Any, Dataset]) -> None:
    model, data = binary
    with pytest.raises(ConfigError, match="mean radios") as caught:
        evaluate(model, data, slices=["mean radios"])
    problem = caught.value.problems[0]
    assert problem.got == "mean radios"
    assert problem.expected is not None and "'mean radius'" in problem.expected
    assert problem.hint == "did you mean 'mean radius'?"


def test_importance_ranks_an_informative_column_above_noise() -> None:
    frame = load_diabetes(as_frame=True).frame
    frame.insert(0, "noise", np.random.default_rng(0).normal(size=len(frame)))
    model, data = _fitted(frame, "regression")
    importance = {column: mean for column, mean, _ in evaluate(model, data, resamples=50).importance}
    assert list(importance) == sorted(importance, key=lambda c: -importance[c])
    assert importance["bmi"] > importance["noise"] + 0.05
    assert len(importance) == len(data.features.columns)


def test_curves_per_task(binary: tuple[Any, Dataset], multiclass: tuple[Any, Dataset],
                         regression: tuple[Any, Dataset]) -> None:
    curves = evaluate(*binary, resamples=20).curves
    assert set(curves) == {"roc", "pr", "calibration", "confusion"}
    assert all(len(values) <= 200 for key in ("roc", "pr") for values in curves[key].values())
    assert len(curves["roc"]["fpr"]) == len(curves["roc"]["tpr"])
    assert curves["confusion"]["labels"] == sorted([BENIGN, MALIGNANT])
    assert sum(map(sum, curves["confusion"]["matrix"])) == len(binary[1].frame)
    assert set(evaluate(*multiclass, resamples=20).curves) == {"confusion"}
    curves = evaluate(*regression, resamples=20).curves
    assert set(curves) == {"residuals", "predicted_vs_actual"}
    assert len(curves["residuals"]["predicted"]) == len(regression[1].frame)


@pytest.mark.parametrize("case", CASES)
def test_json_holds_only_plain_python_values(case: str, request: pytest.FixtureRequest) -> None:
    evaluation: Evaluation = evaluate(*request.getfixturevalue(case), slices=["target"], resamples=50)
    data = evaluation.to_json()
    json.dumps(data, allow_nan=False)

    def check(value: Any) -> None:
        if isinstance(value, dict):
            assert all(type(k) is str for k in value)
            for v in value.values():
                check(v)
        elif isinstance(value, list):
            for v in value:
                check(v)
        else:
            assert value is None or type(value) in (str, int, float, bool), type(value)

    check(data)


def test_bootstrap_of_20000_rows_gives_an_interval_per_metric() -> None:
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 2, 20_000)
    probability = np.clip(truth * 0.3 + rng.random(20_000) * 0.7, 0, 1)
    outcomes = bootstrap.Outcomes(truth, (probability > 0.5).astype(int),
                                  np.column_stack([1 - probability, probability]), True, 2)
    result = bootstrap.intervals(outcomes, ("accuracy", "f1", "roc_auc", "log_loss"), 1000, 0)
    assert all(low < high for low, high in result.values())
