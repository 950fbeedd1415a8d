"""Networks built from config: the tabular MLP, and any ``nn.Module`` named by ``_target_``."""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from assay.errors import ConfigError, Problem

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU, "gelu": nn.GELU, "tanh": nn.Tanh, "silu": nn.SiLU, "leaky_relu": nn.LeakyReLU,
}


def mlp(n_in: int, n_out: int, hidden_sizes: Sequence[int], activation: str, dropout: float,
        batch_norm: bool) -> nn.Sequential:
    """Linear layers of ``hidden_sizes``, each followed by [batch norm,] activation, dropout."""
    if activation not in ACTIVATIONS:
        raise ConfigError(Problem(f"unknown activation '{activation}'", key="activation",
                                  expected=", ".join(ACTIVATIONS)))
    layers: list[nn.Module] = []
    width = n_in
    for size in hidden_sizes:
        layers.append(nn.Linear(width, int(size)))
        if batch_norm:
            layers.append(nn.BatchNorm1d(int(size)))
        layers.append(ACTIVATIONS[activation]())
        if dropout:
            layers.append(nn.Dropout(float(dropout)))
        width = int(size)
    layers.append(nn.Linear(width, n_out))
    return nn.Sequential(*layers)


def from_config(config: Mapping[str, Any], n_in: int, n_out: int) -> nn.Module:
    """Instantiates the module ``config`` names, passing ``in_features``/``out_features``
    when its constructor takes them."""
    from hydra.utils import get_class

    params = {k: v for k, v in config.items() if not k.startswith("_")}
    try:
        cls = get_class(str(config["_target_"]))
    except Exception as error:  # Hydra wraps import failures in several exception types
        raise ConfigError(Problem(f"cannot import {config.get('_target_')}: {error}",
                                  key="module._target_")) from error
    accepted = inspect.signature(cls).parameters
    for name, value in (("in_features", n_in), ("out_features", n_out)):
        if name in accepted and name not in params:
            params[name] = value
    module = cls(**params)
    if not isinstance(module, nn.Module):
        raise ConfigError(Problem(f"{config['_target_']} is not a torch.nn.Module",
                                  key="module._target_"))
    return module


def state_bytes(module: nn.Module) -> bytes:
    """The module's weights as bytes (``torch.save`` of its state dict)."""
    import io

    buffer = io.BytesIO()
    torch.save({k: v.detach().cpu() for k, v in module.state_dict().items()}, buffer)
    return buffer.getvalue()


def load_state_bytes(module: nn.Module, data: bytes) -> None:
    """Loads weights saved by :func:`state_bytes`, refusing anything but tensors."""
    import io

    module.load_state_dict(torch.load(io.BytesIO(data), map_location="cpu", weights_only=True))
