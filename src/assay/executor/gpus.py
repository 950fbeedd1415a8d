"""How many GPUs an executor can give tasks, found without importing torch or CUDA."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from typing import Any


def machine_gpus() -> int:
    """NVIDIA GPUs on this machine that this process may use (``CUDA_VISIBLE_DEVICES``)."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None and visible.strip() in ("", "-1"):
        return 0
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return 0
    try:
        listed = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=20,
                                check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return 0
    count = sum(1 for line in listed.splitlines() if line.startswith("GPU "))
    if visible is not None:
        count = min(count, len([v for v in visible.split(",") if v.strip()]))
    return count


def planned_gpus(settings: Mapping[str, Any]) -> int | None:
    """GPUs the configured executor will have; None when only a running cluster can tell."""
    kind = settings.get("kind")
    if kind == "dask":
        return None
    if kind == "local" and settings.get("gpu_workers") is not None:
        return int(settings["gpu_workers"])
    return machine_gpus()
