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


EARLY = {"epochs": 200, "patience": 3, "lr": 0.05, "seed": 0}  # stops after a few epochs


def test_early_stopping_restores_the_best_epoch(cancer: tuple) -> None:
    model = MLPClassifier(**EARLY).fit(*cancer)
    assert len(model.history_) < 200  # stopped early
    best = min(model.history_, key=lambda h: h["val_loss"])
    assert model.best_epoch_ == best["epoch"] and model.best_epoch_ <= len(model.history_) - 3
    # CPU training is deterministic and patience does not change the path, so a run that
    # ends at the best epoch holds exactly the weights the early-stopped one restored.
    at_best = MLPClassifier(**{**EARLY, "epochs": model.best_epoch_, "patience": None}).fit(
        *cancer)
    assert at_best.history_ == model.history_[:model.best_epoch_]
    assert all(torch.equal(a, b) for a, b in zip(_weights(model), _weights(at_best), strict=True))
    assert np.array_equal(model.predict_proba(cancer[0]), at_best.predict_proba(cancer[0]))


def test_a_run_resumed_after_its_early_stop_trains_no_further(cancer: tuple,
                                                              tmp_path: Path) -> None:
    with running_task(tmp_path):
        stopped = MLPClassifier(**EARLY).fit(*cancer)
        again = MLPClassifier(**EARLY).fit(*cancer)  # finds the checkpoint of the stop
    assert again.resumed_from_epoch_ == len(stopped.history_) < 200
    assert again.history_ == stopped.history_ and again.best_epoch_ == stopped.best_epoch_
    assert all(torch.equal(a, b) for a, b in zip(_weights(again), _weights(stopped), strict=True))


def test_a_second_fit_on_other_data_in_one_task_starts_afresh(cancer: tuple,
                                                              tmp_path: Path) -> None:
    # As the folds of a CalibratedClassifierCV do: same settings and shapes, other rows.
    features, labels = cancer
    other = features[:, ::-1].copy()
    settings = {"epochs": 4, "patience": None, "seed": 1}
    with running_task(tmp_path):
        MLPClassifier(**settings).fit(features, labels)
        second = MLPClassifier(**settings).fit(other, labels)
    alone = MLPClassifier(**settings).fit(other, labels)  # outside any task: no checkpoint
    assert second.resumed_from_epoch_ is None
    assert second.history_ == alone.history_
    assert all(torch.equal(a, b) for a, b in zip(_weights(second), _weights(alone), strict=True))


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


@pytest.mark.parametrize(("model", "key", "message"), [
    (MLPClassifier(dropout=1.5), "dropout", "dropout must be in [0, 1)"),
    (MLPClassifier(dropout=-0.1), "dropout", "dropout must be in [0, 1)"),
    (MLPClassifier(hidden_sizes=[16, 0]), "hidden_sizes", "at least one unit"),
    (MLPClassifier(patience=0), "patience", "patience must be at least 1"),
    (TorchClassifier(), "module", "needs the network to train"),
    (TorchClassifier(module={"bias": False}), "module", "needs the network to train"),
    (TorchClassifier(module={"_target_": "torch.nn.Linear", "widht": 3}), "module",
     "cannot build the torch network torch.nn.Linear"),
    (TorchClassifier(module={"_target_": "torch.nn.Nope"}), "module._target_",
     "cannot import the torch network torch.nn.Nope"),
    (TorchClassifier(module={"_target_": "collections.OrderedDict"}), "module._target_",
     "collections.OrderedDict does not build a torch network"),
    (MLPClassifier(optimizer={"_target_": "torch.optim.AdamW", "momentum": 0.9}), "optimizer",
     "cannot build the optimizer torch.optim.AdamW"),
    (MLPClassifier(optimizer={"_target_": "torch.nn.Linear"}), "optimizer",
     "cannot build the optimizer torch.nn.Linear"),
    (MLPClassifier(scheduler={"step_size": 2}), "scheduler._target_",
     "the learning-rate schedule config names no class"),
    (MLPClassifier(scheduler={"_target_": "torch.optim.lr_scheduler.StepLR"}), "scheduler",
     "cannot build the learning-rate schedule torch.optim.lr_scheduler.StepLR"),
])
def test_each_bad_torch_setting_is_a_config_error_at_its_key(cancer: tuple, model: object,
                                                             key: str, message: str) -> None:
    from assay.errors import ConfigError

    with pytest.raises(ConfigError) as raised:
        clone(model).fit(*cancer)
    [problem] = raised.value.problems
    assert problem.key == key and message in problem.message, problem


def test_a_default_optimizer_and_valid_edges_are_accepted(cancer: tuple) -> None:
    # dropout 0 and patience 1 are the edges of what is valid; numpy sizes come from grids.
    model = MLPClassifier(hidden_sizes=[np.int64(8)], dropout=0.0, patience=1, epochs=2,
                          optimizer=None).fit(*cancer)
    assert isinstance(model.module_[0], torch.nn.Linear) and 1 <= len(model.history_) <= 2
