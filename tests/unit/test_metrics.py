"""assay's metrics equal scikit-learn's on the same predictions."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression

from assay.steps.metrics import score


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("estimator", [LogisticRegression(max_iter=500),
                                       RandomForestClassifier(n_estimators=5, random_state=0)])
def test_classification_metrics_match_scikit_learn(n_classes: int, estimator: object) -> None:
    x, y = make_classification(600, 8, n_informative=5, n_classes=n_classes, random_state=1)
    y = np.array(["cat", "dog", "eel"])[y]  # string labels, not 0..k
    model = estimator.fit(x[:400], y[:400])  # type: ignore[attr-defined]
    ours = score(model, x[400:], y[400:], "classification")
    truth, predicted = y[400:], model.predict(x[400:])
    proba = model.predict_proba(x[400:])
    assert ours["accuracy"] == pytest.approx(metrics.accuracy_score(truth, predicted), abs=1e-12)
    for name, fn in (("precision", metrics.precision_score), ("recall", metrics.recall_score),
                     ("f1", metrics.f1_score)):
        expected = fn(truth, predicted, average="macro", zero_division=0)
        assert ours[f"{name}_macro"] == pytest.approx(expected, abs=1e-12)
        if n_classes == 2:
            binary = fn(truth, predicted, pos_label=model.classes_[1], zero_division=0)
            assert ours[name] == pytest.approx(binary, abs=1e-12)
    expected_auc = (metrics.roc_auc_score(truth, proba[:, 1]) if n_classes == 2 else
                    metrics.roc_auc_score(truth, proba, multi_class="ovr", average="macro",
                                          labels=model.classes_))
    assert ours["roc_auc"] == pytest.approx(expected_auc, abs=1e-12)
    assert ours["log_loss"] == pytest.approx(metrics.log_loss(truth, proba, labels=model.classes_),
                                             abs=1e-9)
    assert ours["confusion_matrix"] == metrics.confusion_matrix(
        truth, predicted, labels=model.classes_).tolist()


def test_regression_metrics_match_scikit_learn() -> None:
    x, y = make_regression(300, 5, noise=10.0, random_state=0)
    model = LinearRegression().fit(x[:200], y[:200])
    ours = score(model, x[200:], y[200:], "regression")
    predicted = model.predict(x[200:])
    assert ours["rmse"] == pytest.approx(metrics.root_mean_squared_error(y[200:], predicted))
    assert ours["mae"] == pytest.approx(metrics.mean_absolute_error(y[200:], predicted))
    assert ours["r2"] == pytest.approx(metrics.r2_score(y[200:], predicted))


@pytest.mark.parametrize("n_classes", [2, 3])
def test_labels_the_model_never_saw_count_as_scikit_learn_counts_them(n_classes: int) -> None:
    x, y = make_classification(600, 8, n_informative=5, n_classes=n_classes, random_state=2)
    names = np.array(["cat", "dog", "eel"])[y]
    model = LogisticRegression(max_iter=500).fit(x[:400], names[:400])
    truth = names[400:].copy()
    truth[::7], truth[1::11] = "fox", "gnu"  # two labels that appear only in the new data
    ours = score(model, x[400:], truth, "classification")
    predicted = model.predict(x[400:])
    for name, fn in (("precision", metrics.precision_score), ("recall", metrics.recall_score),
                     ("f1", metrics.f1_score)):
        expected = fn(truth, predicted, average="macro", zero_division=0)
        assert ours[f"{name}_macro"] == pytest.approx(expected, abs=1e-12), name
        if n_classes == 2:
            binary = fn(truth, predicted, labels=[model.classes_[1]], average="macro",
                        zero_division=0)
            assert ours[name] == pytest.approx(binary, abs=1e-12), name
    assert ours["accuracy"] == pytest.approx(metrics.accuracy_score(truth, predicted))
    assert "roc_auc" not in ours and "log_loss" not in ours  # undefined for unseen labels
    assert ours["confusion_matrix"] == metrics.confusion_matrix(
        truth, predicted, labels=model.classes_).tolist()


@pytest.mark.parametrize("predicted", [[2.0, 2.0, 2.0], [2.0, 2.5, 2.0]])
def test_r2_of_a_constant_target_follows_scikit_learn(predicted: list[float]) -> None:
    class Constant:
        def predict(self, features: object) -> np.ndarray:
            return np.array(predicted)

    ours = score(Constant(), None, np.array([2.0, 2.0, 2.0]), "regression")
    assert ours["r2"] == metrics.r2_score([2.0, 2.0, 2.0], predicted)
