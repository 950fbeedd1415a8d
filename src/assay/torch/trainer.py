"""One trainer for every torch model: epochs of mini-batches, validation, early stopping,
best-weights restore, gradient clipping, mixed precision on CUDA, and per-epoch
checkpoints that a killed task resumes from.

Determinism on the CPU: the trainer seeds torch's generator with ``seed`` and then
builds the network, so the initial weights (and, after them, dropout) come from the
seed; the validation rows are drawn and each epoch's batches shuffled from a second
generator seeded alike. The same seed gives the same weights and metrics. A checkpoint
holds the model, optimizer and scheduler state, the epoch, the early-stopping state
and the random generators (the GPU's too when training on one), so a resumed run
continues exactly where the killed one stopped.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from assay.errors import ConfigError, Problem
from assay.torch.device import autocast_dtype, resolve_device
from assay.torch.networks import build_target

log = logging.getLogger("assay.torch")

CHECKPOINT = "last.pt"
DEFAULT_OPTIMIZER = "torch.optim.AdamW"


@dataclass(frozen=True)
class TrainSettings:
    """How to train; see the ``model=mlp`` config for what each setting means.

    ``optimizer`` None is :data:`DEFAULT_OPTIMIZER` with its default arguments.
    """

    optimizer: Mapping[str, Any] | None = None
    lr: float = 1e-3
    scheduler: Mapping[str, Any] | None = None
    batch_size: int = 128
    epochs: int = 50
    patience: int | None = 5
    min_delta: float = 0.0
    validation_fraction: float = 0.1
    grad_clip: float | None = None
    seed: int = 0
    device: str = "auto"
    precision: str = "32"


@dataclass
class TrainResult:
    """The trained network (on the CPU, best weights) and what else the fit produced."""

    module: nn.Module
    history: list[dict[str, float]]
    best_epoch: int
    resumed_from_epoch: int | None
    device: str


@dataclass
class _State:
    """The early-stopping state; a checkpoint saves and restores every field."""

    epoch: int = 0  # epochs completed
    best_loss: float = math.inf
    best_epoch: int = 0
    bad_epochs: int = 0
    best_weights: dict[str, torch.Tensor] | None = None
    history: list[dict[str, float]] = field(default_factory=list)


@dataclass
class _Run:
    """What one fit trains with, gathered so the epoch and checkpoint helpers share it."""

    module: nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: Any
    loss_fn: nn.Module
    dtype: torch.dtype | None
    scaler: Any
    shuffle: torch.Generator
    device: torch.device


class Trainer:
    """Trains a network on arrays; classification uses cross-entropy, regression MSE."""

    def __init__(self, settings: TrainSettings, classification: bool,
                 checkpoint_dir: Path | None = None) -> None:
        self.settings = settings
        self.classification = classification
        self.checkpoint_dir = checkpoint_dir

    def fit(self, network: Callable[[], nn.Module], features: np.ndarray,
            targets: np.ndarray) -> TrainResult:
        """Builds the network, trains it, and restores the weights of its best epoch.

        Args:
            network: Builds the untrained network. It is called right after torch's
                generator is seeded with ``seed``, so its initial weights come from it.
            features: The training rows, one float per feature.
            targets: Class indices (classification) or values (regression).

        Raises:
            ConfigError: for invalid settings, or a network, optimizer or schedule
                that cannot be built.
        """
        s = self.settings
        _check(s)
        device = resolve_device(s.device)
        dtype = autocast_dtype(s.precision, device)
        torch.manual_seed(s.seed)  # the only seeding of torch's generator: weights, then dropout
        module = network()
        shuffle = torch.Generator().manual_seed(s.seed)
        x = torch.as_tensor(features, dtype=torch.float32)
        y = torch.as_tensor(targets, dtype=torch.long if self.classification else torch.float32)
        train_rows, val_rows = _split(len(x), s.validation_fraction, shuffle)
        x_train, y_train = x[train_rows].to(device), y[train_rows].to(device)
        x_val, y_val = x[val_rows].to(device), y[val_rows].to(device)
        module.to(device)
        optimizer = _optimizer(s, module)
        run = _Run(module, optimizer, _scheduler(s, optimizer),
                   nn.CrossEntropyLoss() if self.classification else nn.MSELoss(), dtype,
                   torch.amp.GradScaler("cuda") if dtype == torch.float16 else None, shuffle,
                   device)
        state = _State()
        signature = self._signature(module, features, targets, x_train.shape, x_val.shape)
        resumed = self._resume(signature, run, state)
        # Checked before each epoch as well as after it: a run resumed from the checkpoint
        # of its stopping epoch must not train one more.
        while state.epoch < s.epochs and not self._stopped(state):
            self._train_epoch(run, x_train, y_train, x_val, y_val, state)
            self._save(signature, run, state)
        if self._stopped(state):
            log.info("early stop after epoch %d: no improvement for %d epochs", state.epoch,
                     s.patience)
        if state.best_weights is not None:
            module.load_state_dict(state.best_weights)
        module.to("cpu").eval()
        return TrainResult(module, state.history, state.best_epoch, resumed, str(device))

    def _stopped(self, state: _State) -> bool:
        patience = self.settings.patience
        return patience is not None and state.bad_epochs >= patience

    def _train_epoch(self, run: _Run, x_train: torch.Tensor, y_train: torch.Tensor,
                     x_val: torch.Tensor, y_val: torch.Tensor, state: _State) -> None:
        """One epoch of training and validation, recorded in ``state``."""
        s = self.settings
        epoch = state.epoch + 1
        train_loss = self._epoch(run, x_train, y_train)
        metrics = {"epoch": epoch, "train_loss": train_loss, **self._validate(run, x_val, y_val)}
        if run.scheduler is not None:
            run.scheduler.step()
        monitored = metrics.get("val_loss", train_loss)
        if monitored < state.best_loss - s.min_delta:
            state.best_loss, state.best_epoch, state.bad_epochs = monitored, epoch, 0
            state.best_weights = {k: v.detach().clone()
                                  for k, v in run.module.state_dict().items()}
        else:
            state.bad_epochs += 1
        state.history.append(metrics)
        state.epoch = epoch
        log.info("epoch %d/%d: %s", epoch, s.epochs,
                 ", ".join(f"{k} {v:.5g}" for k, v in metrics.items() if k != "epoch"))

    def _epoch(self, run: _Run, x: torch.Tensor, y: torch.Tensor) -> float:
        module, optimizer, loss_fn = run.module, run.optimizer, run.loss_fn
        module.train()
        order = torch.randperm(len(x), generator=run.shuffle).to(x.device)
        size, clip = self.settings.batch_size, self.settings.grad_clip
        total = torch.zeros((), device=x.device)
        seen = 0
        # The common case (32-bit, no clipping) gets the plain loop: every per-batch call
        # counts when batches take a millisecond.
        plain = run.dtype is None and run.scaler is None and not clip
        for start in range(0, len(x), size):
            rows = order[start:start + size]
            if len(rows) < 2 and seen:  # a lone last row breaks batch norm and adds nothing
                continue
            optimizer.zero_grad(set_to_none=True)
            if plain:
                loss = loss_fn(_squeezed(module(x[rows])), y[rows])
                loss.backward()
                optimizer.step()
            else:
                loss = self._mixed_step(run, x[rows], y[rows])
            total.add_(loss.detach(), alpha=len(rows))  # on the device: no sync per batch
            seen += len(rows)
        return float(total.item() / max(seen, 1))

    def _mixed_step(self, run: _Run, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """One step with autocast, loss scaling (float16) and gradient clipping as set."""
        scaler = run.scaler
        with torch.autocast(x.device.type, dtype=run.dtype, enabled=run.dtype is not None):
            loss: torch.Tensor = run.loss_fn(_squeezed(run.module(x)), y)
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.unscale_(run.optimizer)
        else:
            loss.backward()
        if self.settings.grad_clip:
            nn.utils.clip_grad_norm_(run.module.parameters(), self.settings.grad_clip)
        if scaler is not None:
            scaler.step(run.optimizer)
            scaler.update()
        else:
            run.optimizer.step()
        return loss

    def _validate(self, run: _Run, x: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
        if not len(x):
            return {}
        run.module.eval()
        with torch.no_grad(), torch.autocast(x.device.type, dtype=run.dtype,
                                             enabled=run.dtype is not None):
            out = _squeezed(run.module(x)).float()
            metrics = {"val_loss": float(run.loss_fn(out, y).item())}
            if self.classification:
                metrics["val_accuracy"] = float((out.argmax(dim=1) == y).float().mean().item())
            else:
                metrics["val_rmse"] = float(torch.sqrt(((out - y) ** 2).mean()).item())
        return metrics

    # ------------------------------------------------------------------ checkpoints

    def _signature(self, module: nn.Module, features: np.ndarray, targets: np.ndarray,
                   train_shape: Any, val_shape: Any) -> str:
        """Identifies one training problem: a checkpoint of another is never resumed.

        The data is part of it, not only its shape: two fits in one task (the folds of a
        CalibratedClassifierCV, the candidates of a grid search) share a checkpoint
        directory, and the second must not resume the first.
        """
        if self.checkpoint_dir is None:
            return ""  # nothing is saved or resumed: spare hashing the data
        described = repr((sorted(asdict(self.settings).items(), key=str), self.classification,
                          tuple(train_shape), tuple(val_shape),
                          [(k, tuple(v.shape)) for k, v in module.state_dict().items()]))
        digest = hashlib.sha256(described.encode())
        for array in (features, targets):
            contiguous = np.ascontiguousarray(array)
            digest.update(contiguous.dtype.str.encode())
            digest.update(contiguous.data)  # the buffer itself: no copy of the data
        return digest.hexdigest()

    def _save(self, signature: str, run: _Run, state: _State) -> None:
        if self.checkpoint_dir is None:
            return
        self.checkpoint_dir.mkdir(parents=True, exist_ok=True)
        checkpoint = {
            "signature": signature,
            **{f.name: getattr(state, f.name) for f in fields(_State)},
            "model": run.module.state_dict(), "optimizer": run.optimizer.state_dict(),
            "scheduler": run.scheduler.state_dict() if run.scheduler is not None else None,
            "torch_rng": torch.get_rng_state(), "shuffle_rng": run.shuffle.get_state(),
            # Dropout on a GPU draws from that GPU's generator, not the CPU's.
            "cuda_rng": (torch.cuda.get_rng_state(run.device) if run.device.type == "cuda"
                         else None),
        }
        path = self.checkpoint_dir / CHECKPOINT
        partial = path.with_suffix(".partial")
        torch.save(checkpoint, partial)
        os.replace(partial, path)  # a kill mid-write leaves the previous checkpoint whole

    def _resume(self, signature: str, run: _Run, state: _State) -> int | None:
        checkpoint = self._load_checkpoint(signature)
        if checkpoint is None:
            return None
        run.module.load_state_dict(checkpoint["model"])
        run.optimizer.load_state_dict(checkpoint["optimizer"])
        if run.scheduler is not None and checkpoint["scheduler"] is not None:
            run.scheduler.load_state_dict(checkpoint["scheduler"])
        torch.set_rng_state(checkpoint["torch_rng"])
        run.shuffle.set_state(checkpoint["shuffle_rng"])
        # A CPU checkpoint resumed on a GPU (device auto) has no GPU state to restore.
        if run.device.type == "cuda" and checkpoint.get("cuda_rng") is not None:
            torch.cuda.set_rng_state(checkpoint["cuda_rng"], run.device)
        for f in fields(_State):
            setattr(state, f.name, checkpoint[f.name])
        log.warning("resuming from the checkpoint of epoch %d", state.epoch)
        return state.epoch

    def _load_checkpoint(self, signature: str) -> dict[str, Any] | None:
        """This task's checkpoint when it belongs to this training problem, else None."""
        path = self.checkpoint_dir / CHECKPOINT if self.checkpoint_dir is not None else None
        if path is None or not path.exists():
            return None
        try:
            checkpoint: dict[str, Any] = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as error:  # a torn or foreign file: start over rather than fail
            log.warning("ignoring unreadable checkpoint %s (%s)", path, error)
            return None
        if checkpoint.get("signature") != signature:
            log.info("ignoring checkpoint %s: it belongs to other settings or data", path)
            return None
        return checkpoint


def _squeezed(out: torch.Tensor) -> torch.Tensor:
    """Regression nets end in one unit: ``(n, 1)`` becomes ``(n,)`` to match the targets."""
    return out.squeeze(-1) if out.dim() == 2 and out.shape[-1] == 1 else out


def _split(n: int, fraction: float, generator: torch.Generator) -> tuple[torch.Tensor,
                                                                       torch.Tensor]:
    order = torch.randperm(n, generator=generator)
    held = round(n * fraction) if fraction > 0 else 0
    held = min(max(held, 1 if fraction > 0 else 0), n - 2)
    return order[held:], order[:held]


def _optimizer(s: TrainSettings, module: nn.Module) -> torch.optim.Optimizer:
    optimizer: torch.optim.Optimizer = build_target(
        s.optimizer or {}, "optimizer", "optimizer", module.parameters(), lr=s.lr,
        default=DEFAULT_OPTIMIZER, must_be=torch.optim.Optimizer)
    return optimizer


def _scheduler(s: TrainSettings, optimizer: torch.optim.Optimizer) -> Any:
    if not s.scheduler:
        return None
    return build_target(s.scheduler, "scheduler", "learning-rate schedule", optimizer)


def _check(s: TrainSettings) -> None:
    problems = []
    if s.batch_size < 1:
        problems.append(Problem("batch_size must be at least 1", key="batch_size",
                                got=str(s.batch_size)))
    if s.epochs < 1:
        problems.append(Problem("epochs must be at least 1", key="epochs", got=str(s.epochs)))
    if s.patience is not None and s.patience < 1:
        # patience 0 counts as stopped before the first epoch: nothing would be trained.
        problems.append(Problem("patience must be at least 1", key="patience",
                                expected="an integer >= 1, or null to never stop early",
                                got=str(s.patience)))
    if not 0 <= s.validation_fraction < 1:
        problems.append(Problem("validation_fraction must be in [0, 1)",
                                key="validation_fraction", got=str(s.validation_fraction)))
    if problems:
        raise ConfigError(problems)
