"""Networks built from config: the tabular MLP, and any ``nn.Module`` named by ``_target_``.

Also the one way the torch code builds an object from a ``_target_`` config (the
module, the optimizer, the learning-rate schedule), so each reports a bad target or a
rejected argument as a :class:`~assay.errors.ConfigError` at its key.
"""

from __future__ import annotations

import inspect
import numbers
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
    """Linear layers of ``hidden_sizes``, each followed by [batch norm,] activation, dropout.

    Raises:
        ConfigError: for an unknown activation, a layer narrower than one unit, or a
            dropout outside [0, 1), all of them at once.
    """
    _check_mlp(hidden_sizes, activation, dropout)
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


def _check_mlp(hidden_sizes: Sequence[int], activation: str, dropout: float) -> None:
    problems = []
    if activation not in ACTIVATIONS:
        problems.append(Problem(f"unknown activation '{activation}'", key="activation",
                                expected=", ".join(ACTIVATIONS)))
    # A zero-width layer builds and trains without complaint, but predicts a constant.
    if not all(_is_whole(size) and int(size) >= 1 for size in hidden_sizes):
        problems.append(Problem("every hidden layer needs at least one unit", key="hidden_sizes",
                                expected="a list of integers >= 1, e.g. [64, 32]",
                                got=str(list(hidden_sizes))))
    if not (_is_number(dropout) and 0 <= float(dropout) < 1):
        problems.append(Problem("dropout must be in [0, 1)", key="dropout",
                                expected="a fraction such as 0.1 (0 for none)", got=str(dropout)))
    if problems:
        raise ConfigError(problems)


def _is_whole(value: Any) -> bool:
    # numbers.Integral takes numpy integers too (a search grid's values); a bool is no size.
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def from_config(config: Mapping[str, Any] | None, n_in: int, n_out: int) -> nn.Module:
    """Instantiates the module ``config`` names, passing ``in_features``/``out_features``
    when its constructor takes them.

    Raises:
        ConfigError: when there is no config, its target cannot be imported or built,
            or it is not a ``torch.nn.Module``.
    """
    if not isinstance(config, Mapping) or not config.get("_target_"):
        raise ConfigError(Problem(
            "a torch model needs the network to train", key="module",
            expected="a config naming a torch.nn.Module, e.g. {_target_: torch.nn.Linear}",
            got=repr(config)))
    module: nn.Module = build_target(config, "module", "torch network",
                                     offered={"in_features": n_in, "out_features": n_out},
                                     must_be=nn.Module)
    return module


def build_target(config: Mapping[str, Any], key: str, what: str, *args: Any,
                 default: str | None = None, offered: Mapping[str, Any] | None = None,
                 must_be: type | None = None, **kwargs: Any) -> Any:
    """Builds the class ``config["_target_"]`` names from the config's other entries.

    Args:
        config: ``{_target_: dotted.Class, **arguments}``; keys starting with ``_`` are
            Hydra's and are not passed on.
        key: Where ``config`` sits in the model config, to locate errors.
        what: What the object is, in words, for error messages.
        *args: Positional arguments first (an optimizer's parameters).
        default: The target when the config names none.
        offered: Arguments passed only when the constructor takes them and the config
            does not set them.
        must_be: The type the result must have.
        **kwargs: Further arguments always passed.

    Raises:
        ConfigError: when the target cannot be imported, rejects its arguments, or is
            not a ``must_be``.
    """
    from hydra.utils import get_class

    target = config.get("_target_") or default
    if not target:
        raise ConfigError(Problem(f"the {what} config names no class", key=f"{key}._target_",
                                  expected="a dotted class name, e.g. torch.nn.Linear"))
    target = str(target)
    try:
        cls = get_class(target)
    except Exception as error:  # Hydra wraps import failures in several exception types
        raise ConfigError(Problem(f"cannot import the {what} {target}: {error}",
                                  key=f"{key}._target_")) from error
    params = {k: v for k, v in config.items() if not str(k).startswith("_")}
    params |= {name: value for name, value in (offered or {}).items()
               if name not in params and name in _parameters(cls)}
    try:
        built = cls(*args, **kwargs, **params)
    except Exception as error:  # a missing, unknown or invalid argument alike
        raise ConfigError(Problem(f"cannot build the {what} {target}: {error}", key=key,
                                  hint=f"check the arguments under '{key}'")) from error
    if must_be is not None and not isinstance(built, must_be):
        raise ConfigError(Problem(f"{target} does not build a {what}", key=f"{key}._target_",
                                  expected=f"a {must_be.__module__}.{must_be.__qualname__}",
                                  got=type(built).__qualname__))
    return built


def _parameters(cls: Any) -> Mapping[str, Any]:
    try:
        return inspect.signature(cls).parameters
    except (TypeError, ValueError):  # some built-ins have no signature: offer nothing
        return {}


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
