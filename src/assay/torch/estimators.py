"""scikit-learn estimators around torch networks: ``fit``, ``predict``, ``predict_proba``,
``get_params``, so evaluation, registration and serving treat them like any estimator.

A fitted estimator pickles its weights as a state dict (``torch.save`` bytes) next to
its config, and rebuilds the network on load with ``torch.load(weights_only=True)``:
loading a model never unpickles arbitrary torch objects. ``history_`` holds the
per-epoch training and validation curve.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin

from assay.runtime import task_scratch_dir


class _TorchEstimator(BaseEstimator):  # type: ignore[misc]
    """The shared fit/predict machinery; subclasses say how the network is built.

    Each public estimator spells out its parameters in ``__init__`` (scikit-learn's
    convention, and what the compiler checks a config against before anything runs).
    """

    _classification = True
    optimizer: Mapping[str, Any] | None
    lr: float
    scheduler: Mapping[str, Any] | None
    batch_size: int
    epochs: int
    patience: int | None
    min_delta: float
    validation_fraction: float
    grad_clip: float | None
    seed: int
    device: str
    precision: str

    def _network(self, n_in: int, n_out: int) -> Any:
        raise NotImplementedError

    def _settings(self) -> Any:
        from assay.torch.trainer import TrainSettings

        return TrainSettings(
            optimizer=dict(self.optimizer) if self.optimizer else None, lr=self.lr,
            scheduler=dict(self.scheduler) if self.scheduler else None,
            batch_size=int(self.batch_size), epochs=int(self.epochs),
            patience=None if self.patience is None else int(self.patience),
            min_delta=float(self.min_delta), validation_fraction=float(self.validation_fraction),
            grad_clip=self.grad_clip, seed=int(self.seed), device=str(self.device),
            precision=str(self.precision))

    def fit(self, X: Any, y: Any) -> _TorchEstimator:
        """Trains the network on ``X``, ``y`` (a checkpoint of a killed fit is resumed)."""
        from assay.torch.trainer import Trainer

        features = _as_matrix(X)
        targets = self._encode(np.asarray(y))
        self.n_features_in_ = features.shape[1]
        self._n_out = len(self.classes_) if self._classification else 1
        scratch = task_scratch_dir()
        trainer = Trainer(self._settings(), self._classification,
                          scratch / "torch" if scratch is not None else None)
        # The trainer builds the network after seeding, so the seed sets the initial weights.
        result = trainer.fit(lambda: self._network(self.n_features_in_, self._n_out), features,
                             targets)
        self.module_ = result.module
        self.history_ = result.history
        self.best_epoch_ = result.best_epoch
        self.resumed_from_epoch_ = result.resumed_from_epoch
        self.trained_on_ = result.device
        return self

    def _encode(self, y: np.ndarray) -> np.ndarray:
        if self._classification:
            self.classes_, encoded = np.unique(y, return_inverse=True)
            return encoded.astype(np.int64)
        values = y.astype(np.float64)
        # Standardised targets train far better; predictions are scaled back.
        self.target_mean_, self.target_scale_ = float(values.mean()), float(values.std() or 1.0)
        return ((values - self.target_mean_) / self.target_scale_).astype(np.float32)

    def _forward(self, X: Any) -> np.ndarray:
        import torch

        from assay.errors import DataError, Problem

        features = _as_matrix(X)
        if features.shape[1] != self.n_features_in_:
            raise DataError(Problem(f"the model takes {self.n_features_in_} features, "
                                    f"got {features.shape[1]}"))
        self.module_.eval()
        outputs = []
        with torch.no_grad():
            for start in range(0, len(features), 8192):
                batch = torch.as_tensor(features[start:start + 8192])
                outputs.append(self.module_(batch).float().numpy())
        return np.concatenate(outputs) if outputs else np.empty((0, self._n_out), np.float32)

    def __getstate__(self) -> dict[str, Any]:
        from assay.torch.networks import state_bytes

        state = self.__dict__.copy()
        module = state.pop("module_", None)
        if module is not None:
            state["module_state_"] = state_bytes(module)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        weights = state.pop("module_state_", None)
        self.__dict__.update(state)
        if weights is not None:
            from assay.torch.networks import load_state_bytes

            self.module_ = self._network(self.n_features_in_, self._n_out)
            load_state_bytes(self.module_, weights)
            self.module_.eval()


class _Classifier(ClassifierMixin, _TorchEstimator):  # type: ignore[misc]
    _classification = True

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities (softmax of the network's outputs), in ``classes_`` order."""
        logits = self._forward(X).astype(np.float64)
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)  # type: ignore[no-any-return]

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class."""
        return self.classes_[self._forward(X).argmax(axis=1)]  # type: ignore[no-any-return]


class _Regressor(RegressorMixin, _TorchEstimator):  # type: ignore[misc]
    _classification = False

    def predict(self, X: Any) -> np.ndarray:
        """Predicted values, on the scale of the training targets."""
        scaled = self._forward(X).reshape(-1).astype(np.float64)
        return scaled * self.target_scale_ + self.target_mean_  # type: ignore[no-any-return]


class _MLP:
    """The tabular MLP's parameters (mixed in first, so the MLP estimators take this
    ``__init__``: scikit-learn reads the parameter names from its explicit signature)."""

    hidden_sizes: Sequence[int]
    activation: str
    dropout: float
    batch_norm: bool

    def __init__(self, hidden_sizes: Sequence[int] = (64, 32), activation: str = "relu",
                 dropout: float = 0.1, batch_norm: bool = False,
                 optimizer: Mapping[str, Any] | None = None, lr: float = 1e-3,
                 scheduler: Mapping[str, Any] | None = None, batch_size: int = 128,
                 epochs: int = 50, patience: int | None = 5, min_delta: float = 0.0,
                 validation_fraction: float = 0.1, grad_clip: float | None = None,
                 seed: int = 0, device: str = "auto", precision: str = "32") -> None:
        _keep(self, locals())

    def _network(self, n_in: int, n_out: int) -> Any:
        from assay.torch.networks import mlp

        return mlp(n_in, n_out, list(self.hidden_sizes), self.activation, self.dropout,
                   self.batch_norm)


class MLPClassifier(_MLP, _Classifier):
    """A multi-layer perceptron classifier trained by assay's torch trainer.

    Args:
        hidden_sizes: Width of each hidden layer.
        activation: relu, gelu, tanh, silu or leaky_relu.
        dropout: Dropout after each hidden layer (0 for none).
        batch_norm: Batch normalisation before each activation.
        optimizer: ``{_target_: torch.optim.AdamW, weight_decay: ...}`` (lr is separate;
            None: AdamW with its defaults).
        lr: Learning rate.
        scheduler: A ``torch.optim.lr_scheduler`` config stepped once per epoch, or None.
        batch_size: Rows per gradient step.
        epochs: Most epochs to train.
        patience: Epochs without validation improvement before stopping (None: never).
        min_delta: Smallest validation-loss decrease that counts as improvement.
        validation_fraction: Rows held out of training for early stopping.
        grad_clip: Largest gradient norm (None: no clipping).
        seed: Seeds initialisation, the validation split and shuffling.
        device: auto, cpu, cuda or cuda:N.
        precision: 32, bf16 or 16-mixed (mixed precision on CUDA only).
    """


class MLPRegressor(_MLP, _Regressor):
    """The regression twin of :class:`MLPClassifier`: mean squared error, same settings."""


class _AnyModule:
    """Any module's parameters (mixed in first, like :class:`_MLP`)."""

    module: Mapping[str, Any] | None

    def __init__(self, module: Mapping[str, Any] | None = None,
                 optimizer: Mapping[str, Any] | None = None, lr: float = 1e-3,
                 scheduler: Mapping[str, Any] | None = None, batch_size: int = 128,
                 epochs: int = 50, patience: int | None = 5, min_delta: float = 0.0,
                 validation_fraction: float = 0.1, grad_clip: float | None = None,
                 seed: int = 0, device: str = "auto", precision: str = "32") -> None:
        _keep(self, locals())

    def _network(self, n_in: int, n_out: int) -> Any:
        from assay.torch.networks import from_config

        return from_config(self.module, n_in, n_out)


class TorchClassifier(_AnyModule, _Classifier):
    """Any ``torch.nn.Module`` as a classifier: ``module`` is its ``_target_`` config.

    The module receives ``in_features`` and ``out_features`` (the number of classes)
    when its constructor takes them. Training settings are those of :class:`MLPClassifier`.
    """


class TorchRegressor(_AnyModule, _Regressor):
    """Any ``torch.nn.Module`` as a regressor (one output unit)."""


def _keep(estimator: Any, arguments: dict[str, Any]) -> None:
    """Stores each ``__init__`` argument unchanged, as scikit-learn expects."""
    for name, value in arguments.items():
        if name not in ("self", "__class__"):
            setattr(estimator, name, value)


def _as_matrix(X: Any) -> np.ndarray:
    values = X.to_numpy() if hasattr(X, "to_numpy") else X
    if hasattr(values, "toarray"):  # a sparse matrix from one-hot encoding
        values = values.toarray()
    return np.ascontiguousarray(values, dtype=np.float32)
