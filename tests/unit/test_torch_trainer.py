"""The torch estimators and trainer on their own (CPU)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer
from sklearn.preprocessing import StandardScaler

from assay.runtime import running_task
from assay.store.codecs import EstimatorCodec
from assay.torch import MLPClassifier, MLPRegressor, TorchClassifier
from assay.torch.trainer import CHECKPOINT


@pytest.fixture(scope="module")
def cancer() -> tuple[np.ndarray, np.ndarray]:
    features, labels = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(features), labels


def _weights(model: MLPClassifier) -> list[torch.Tensor]:
    return list(model.module_.state_dict().values())


def test_the_same_seed_gives_identical_weights_and_metrics(cancer: tuple) -> None:
    first = MLPClassifier(epochs=8, seed=3, batch_norm=True).fit(*cancer)
    second = MLPClassifier(epochs=8, seed=3, batch_norm=True).fit(*cancer)
    other = MLPClassifier(epochs=8, seed=4, batch_norm=True).fit(*cancer)
    assert all(torch.equal(a, b) for a, b in zip(_weights(first), _weights(second), strict=True))
    assert first.history_ == second.history_
    assert not all(torch.equal(a, b) for a, b in zip(_weights(first), _weights(other), strict=True))


def test_it_behaves_as_a_scikit_learn_classifier(cancer: tuple) -> None:
    features, labels = cancer
    model = MLPClassifier(hidden_sizes=[16], epochs=30, patience=None, seed=0)
    assert clone(model).get_params() == model.get_params()
    model.fit(features, labels)
    probabilities = model.predict_proba(features)
    assert probabilities.shape == (len(labels), 2)
    assert np.allclose(probabilities.sum(axis=1), 1.0)
    assert set(model.predict(features)) <= set(labels)
    assert model.score(features, labels) > 0.95
    assert [h["epoch"] for h in model.history_] == list(range(1, 31))
    assert {"train_loss", "val_loss", "val_accuracy"} <= set(model.history_[0])


def test_early_stopping_restores_the_best_epoch(cancer: tuple) -> None:
    model = MLPClassifier(epochs=200, patience=3, lr=0.05, seed=0).fit(*cancer)
    assert len(model.history_) < 200  # stopped early
    best = min(model.history_, key=lambda h: h["val_loss"])
    assert model.best_epoch_ == best["epoch"] and model.best_epoch_ <= len(model.history_) - 3


def test_stored_models_carry_weights_only_and_predict_the_same(cancer: tuple) -> None:
    features, labels = cancer
    model = MLPClassifier(epochs=5).fit(features, labels)
    state = model.__getstate__()
    assert "module_" not in state and isinstance(state["module_state_"], bytes)
    data, meta = EstimatorCodec().dumps(model)
    loaded = EstimatorCodec().loads(data, meta)
    assert np.array_equal(loaded.predict_proba(features), model.predict_proba(features))


def test_a_regressor_and_any_module(cancer: tuple) -> None:
    features, labels = cancer
    target = features[:, 0] * 3.0 + 10.0
    regressor = MLPRegressor(epochs=60, patience=None, seed=0).fit(features, target)
    assert np.abs(regressor.predict(features) - target).mean() < 0.5
    linear = TorchClassifier(module={"_target_": "torch.nn.Linear"}, lr=0.05, epochs=40).fit(
        features, labels)
    assert isinstance(linear.module_, torch.nn.Linear) and linear.score(features, labels) > 0.95


def test_a_fit_resumes_from_the_checkpoint_of_its_task(cancer: tuple, tmp_path: Path) -> None:
    class Killed(Exception):
        pass

    settings = {"epochs": 6, "patience": None, "seed": 2}
    reference = MLPClassifier(**settings).fit(*cancer)

    original_save = torch.save
    saves = []

    def dying_save(obj: object, path: object, *args: object, **kwargs: object) -> None:
        original_save(obj, path, *args, **kwargs)
        if str(path).endswith(".partial"):
            saves.append(path)
            if len(saves) == 3:  # the third epoch's checkpoint is written, then the task dies
                raise Killed

    torch.save = dying_save  # type: ignore[assignment]
    try:
        with running_task(tmp_path), pytest.raises(Killed):
            MLPClassifier(**settings).fit(*cancer)
    finally:
        torch.save = original_save
    assert (tmp_path / "torch" / CHECKPOINT.replace(".pt", ".partial")).exists()
    with running_task(tmp_path):
        resumed = MLPClassifier(**settings).fit(*cancer)
    assert resumed.resumed_from_epoch_ == 2  # the partial third checkpoint never replaced it
    assert resumed.history_ == reference.history_
    assert all(torch.equal(a, b) for a, b in zip(_weights(resumed), _weights(reference),
                                                 strict=True))


def test_bad_settings_are_config_errors(cancer: tuple) -> None:
    from assay.errors import ConfigError

    for bad in ({"device": "tpu"}, {"precision": "8"}, {"activation": "swish"},
                {"optimizer": {"_target_": "torch.optim.Nope"}}, {"epochs": 0}):
        with pytest.raises(ConfigError):
            MLPClassifier(**bad).fit(*cancer)
