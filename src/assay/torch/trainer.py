"""One trainer for every torch model: epochs of mini-batches, validation, early stopping,
best-weights restore, gradient clipping, mixed precision on CUDA, and per-epoch
checkpoints that a killed task resumes from.

Determinism on the CPU: the weights are initialised, the validation rows drawn and
each epoch's batches shuffled from generators seeded by ``seed``, so the same seed
gives the same weights and metrics. A checkpoint holds the model, optimizer and
scheduler state, the epoch, the early-stopping state and both random generators, so
a resumed run continues exactly where the killed one stopped.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from assay.errors import ConfigError, Problem
from assay.torch.device import autocast_dtype, resolve_device

log = logging.getLogger("assay.torch")

CHECKPOINT = "last.pt"


@dataclass(frozen=True)
class TrainSettings:
    """How to train; see the ``model=mlp`` config for what each setting means."""

    optimizer: Mapping[str, Any] = field(default_factory=lambda: {"_target_": "torch.optim.AdamW"})
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
    """What a fit produced besides the weights."""

    history: list[dict[str, float]]
    best_epoch: int
    resumed_from_epoch: int | None
    device: str


@dataclass
class _State:
    epoch: int = 0  # epochs completed
    best_loss: float = math.inf
    best_epoch: int = 0
    bad_epochs: int = 0
    best_weights: dict[str, torch.Tensor] | None = None
    history: list[dict[str, float]] = field(default_factory=list)


class Trainer:
    """Trains ``module`` on arrays; classification uses cross-entropy, regression MSE."""

    def __init__(self, settings: TrainSettings, classification: bool,
                 checkpoint_dir: Path | None = None) -> None:
        self.settings = settings
        self.classification = classification
        self.checkpoint_dir = checkpoint_dir

    def fit(self, module: nn.Module, features: np.ndarray, targets: np.ndarray) -> TrainResult:
        """Trains in place and restores the weights of the best validation epoch."""
        s = self.settings
        _check(s)
        device = resolve_device(s.device)
        dtype = autocast_dtype(s.precision, device)
        torch.manual_seed(s.seed)
        shuffle = torch.Generator().manual_seed(s.seed)
        x = torch.as_tensor(features, dtype=torch.float32)
        y = torch.as_tensor(targets, dtype=torch.long if self.classification else torch.float32)
        train_rows, val_rows = _split(len(x), s.validation_fraction, shuffle)
        x_train, y_train = x[train_rows].to(device), y[train_rows].to(device)
        x_val, y_val = x[val_rows].to(device), y[val_rows].to(device)
        module.to(device)
        optimizer = _optimizer(s, module)
        scheduler = _scheduler(s, optimizer)
        scaler = torch.amp.GradScaler("cuda") if dtype == torch.float16 else None
        loss_fn: nn.Module = nn.CrossEntropyLoss() if self.classification else nn.MSELoss()
        state = _State()
        signature = self._signature(module, x_train.shape, x_val.shape)
        resumed = self._resume(signature, module, optimizer, scheduler, shuffle, state)
        for epoch in range(state.epoch, s.epochs):
            train_loss = self._epoch(module, x_train, y_train, optimizer, loss_fn, dtype, scaler,
                                     shuffle)
            metrics = {"epoch": epoch + 1, "train_loss": train_loss,
                       **self._validate(module, x_val, y_val, loss_fn, dtype)}
            if scheduler is not None:
                scheduler.step()
            monitored = metrics.get("val_loss", train_loss)
            if monitored < state.best_loss - s.min_delta:
                state.best_loss, state.best_epoch, state.bad_epochs = monitored, epoch + 1, 0
                state.best_weights = {k: v.detach().clone() for k, v in module.state_dict().items()}
            else:
                state.bad_epochs += 1
            state.history.append(metrics)
            state.epoch = epoch + 1
            log.info("epoch %d/%d: %s", epoch + 1, s.epochs,
                     ", ".join(f"{k} {v:.5g}" for k, v in metrics.items() if k != "epoch"))
            self._save(signature, module, optimizer, scheduler, shuffle, state)
            if s.patience is not None and state.bad_epochs >= s.patience:
                log.info("early stop after epoch %d: no improvement for %d epochs", epoch + 1,
                         s.patience)
                break
        if state.best_weights is not None:
            module.load_state_dict(state.best_weights)
        module.to("cpu").eval()
        return TrainResult(state.history, state.best_epoch, resumed, str(device))

    def _epoch(self, module: nn.Module, x: torch.Tensor, y: torch.Tensor,
               optimizer: torch.optim.Optimizer, loss_fn: nn.Module, dtype: torch.dtype | None,
               scaler: Any, shuffle: torch.Generator) -> float:
        module.train()
        order = torch.randperm(len(x), generator=shuffle).to(x.device)
        size, clip = self.settings.batch_size, self.settings.grad_clip
        total = torch.zeros((), device=x.device)
        seen = 0
        # The common case (32-bit, no clipping) gets the plain loop: every per-batch call
        # counts when batches take a millisecond.
        plain = dtype is None and scaler is None and not clip
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
                loss = self._mixed_step(module, x[rows], y[rows], optimizer, loss_fn, dtype,
                                        scaler)
            total.add_(loss.detach(), alpha=len(rows))  # on the device: no sync per batch
            seen += len(rows)
        return float(total.item() / max(seen, 1))

    def _mixed_step(self, module: nn.Module, x: torch.Tensor, y: torch.Tensor,
                    optimizer: torch.optim.Optimizer, loss_fn: nn.Module,
                    dtype: torch.dtype | None, scaler: Any) -> torch.Tensor:
        """One step with autocast, loss scaling (float16) and gradient clipping as set."""
        with torch.autocast(x.device.type, dtype=dtype, enabled=dtype is not None):
            loss: torch.Tensor = loss_fn(_squeezed(module(x)), y)
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)
        else:
            loss.backward()
        if self.settings.grad_clip:
            nn.utils.clip_grad_norm_(module.parameters(), self.settings.grad_clip)
        if scaler is not None:
            scaler.step(optimizer)
            scaler.update()
        else:
            optimizer.step()
        return loss

    def _validate(self, module: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn: nn.Module,
                  dtype: torch.dtype | None) -> dict[str, float]:
        if not len(x):
            return {}
        module.eval()
        with torch.no_grad(), torch.autocast(x.device.type, dtype=dtype,
                                             enabled=dtype is not None):
            out = _squeezed(module(x)).float()
            metrics = {"val_loss": float(loss_fn(out, y).item())}
            if self.classification:
                metrics["val_accuracy"] = float((out.argmax(dim=1) == y).float().mean().item())
            else:
                metrics["val_rmse"] = float(torch.sqrt(((out - y) ** 2).mean()).item())
        return metrics

    # ------------------------------------------------------------------ checkpoints

    def _signature(self, module: nn.Module, train_shape: Any, val_shape: Any) -> str:
        """Identifies one training problem: a checkpoint of another is never resumed."""
        described = repr((sorted(asdict(self.settings).items(), key=str), self.classification,
                          tuple(train_shape), tuple(val_shape),
                          [(k, tuple(v.shape)) for k, v in module.state_dict().items()]))
        return hashlib.sha256(described.encode()).hexdigest()

    def _save(self, signature: str, module: nn.Module, optimizer: torch.optim.Optimizer,
              scheduler: Any, shuffle: torch.Generator, state: _State) -> None:
        if self.checkpoint_dir is None:
            return
        self.checkpoint_dir.mkdir(parents=True, exist_ok=True)
        checkpoint = {
            "signature": signature, "epoch": state.epoch, "best_loss": state.best_loss,
            "best_epoch": state.best_epoch, "bad_epochs": state.bad_epochs,
            "best_weights": state.best_weights, "history": state.history,
            "model": module.state_dict(), "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict() if scheduler is not None else None,
            "torch_rng": torch.get_rng_state(), "shuffle_rng": shuffle.get_state(),
        }
        path = self.checkpoint_dir / CHECKPOINT
        partial = path.with_suffix(".partial")
        torch.save(checkpoint, partial)
        os.replace(partial, path)  # a kill mid-write leaves the previous checkpoint whole

    def _resume(self, signature: str, module: nn.Module, optimizer: torch.optim.Optimizer,
                scheduler: Any, shuffle: torch.Generator, state: _State) -> int | None:
        path = self.checkpoint_dir / CHECKPOINT if self.checkpoint_dir is not None else None
        if path is None or not path.exists():
            return None
        try:
            checkpoint = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as error:  # a torn or foreign file: start over rather than fail
            log.warning("ignoring unreadable checkpoint %s (%s)", path, error)
            return None
        if checkpoint.get("signature") != signature:
            log.info("ignoring checkpoint %s: it belongs to other settings or data", path)
            return None
        module.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        if scheduler is not None and checkpoint["scheduler"] is not None:
            scheduler.load_state_dict(checkpoint["scheduler"])
        torch.set_rng_state(checkpoint["torch_rng"])
        shuffle.set_state(checkpoint["shuffle_rng"])
        state.epoch, state.best_loss = int(checkpoint["epoch"]), float(checkpoint["best_loss"])
        state.best_epoch, state.bad_epochs = checkpoint["best_epoch"], checkpoint["bad_epochs"]
        state.best_weights = checkpoint["best_weights"]
        state.history = list(checkpoint["history"])
        log.warning("resuming from the checkpoint of epoch %d", state.epoch)
        return state.epoch


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
    from hydra.utils import get_class

    config = dict(s.optimizer)
    target = str(config.pop("_target_", "torch.optim.AdamW"))
    config = {k: v for k, v in config.items() if not k.startswith("_")}
    try:
        optimizer = get_class(target)(module.parameters(), lr=s.lr, **config)
    except Exception as error:  # import failures and rejected arguments alike
        raise ConfigError(Problem(f"cannot build the optimizer {target}: {error}",
                                  key="optimizer")) from error
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise ConfigError(Problem(f"{target} is not a torch optimizer", key="optimizer._target_"))
    return optimizer


def _scheduler(s: TrainSettings, optimizer: torch.optim.Optimizer) -> Any:
    if not s.scheduler:
        return None
    from hydra.utils import get_class

    config = dict(s.scheduler)
    target = str(config.pop("_target_", ""))
    config = {k: v for k, v in config.items() if not k.startswith("_")}
    try:
        return get_class(target)(optimizer, **config)
    except Exception as error:
        raise ConfigError(Problem(f"cannot build the learning-rate schedule {target}: {error}",
                                  key="scheduler")) from error


def _check(s: TrainSettings) -> None:
    problems = []
    if s.batch_size < 1:
        problems.append(Problem("batch_size must be at least 1", key="batch_size",
                                got=str(s.batch_size)))
    if s.epochs < 1:
        problems.append(Problem("epochs must be at least 1", key="epochs", got=str(s.epochs)))
    if not 0 <= s.validation_fraction < 1:
        problems.append(Problem("validation_fraction must be in [0, 1)",
                                key="validation_fraction", got=str(s.validation_fraction)))
    if problems:
        raise ConfigError(problems)

