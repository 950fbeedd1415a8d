"""Which device and precision a training run uses, decided once per fit."""

from __future__ import annotations

import functools
import logging

import torch

from assay.errors import ConfigError, Problem

log = logging.getLogger("assay.torch")

PRECISIONS = ("32", "bf16", "16-mixed")


def resolve_device(device: str) -> torch.device:
    """``auto`` is CUDA when this worker has a GPU, else the CPU (said once per process).

    Raises:
        ConfigError: for a malformed device, or CUDA asked for where there is none.
    """
    name = str(device)
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        _warn_once("device auto: no GPU on this worker, training on the CPU")
        return torch.device("cpu")
    try:
        chosen = torch.device(name)
    except RuntimeError as error:
        raise ConfigError(Problem(f"'{name}' is not a device", key="device",
                                  expected="auto, cpu, cuda or cuda:N")) from error
    if chosen.type == "cuda":
        count = torch.cuda.device_count()
        index = chosen.index or 0
        if index >= count:
            raise ConfigError(Problem(
                f"device '{name}' asked for, but this worker sees {count} GPU(s)", key="device",
                hint="set device=auto to use a GPU when there is one, or device=cpu"))
    elif chosen.type != "cpu":
        raise ConfigError(Problem(f"device '{name}' is not supported", key="device",
                                  expected="auto, cpu, cuda or cuda:N"))
    return chosen


def autocast_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype for ``precision``; None for full precision.

    Mixed precision runs on CUDA only; on the CPU it falls back to 32-bit (said once
    per process).
    """
    value = str(precision)
    if value not in PRECISIONS:
        raise ConfigError(Problem(f"unknown precision '{value}'", key="precision",
                                  expected=", ".join(PRECISIONS)))
    if value == "32":
        return None
    if device.type != "cuda":
        _warn_once(f"precision {value} needs CUDA; training in 32-bit on the {device.type}")
        return None
    return torch.bfloat16 if value == "bf16" else torch.float16


@functools.cache
def _warn_once(message: str) -> None:
    """Logs ``message`` the first time only: a search fitting many models says it once."""
    log.warning(message)
