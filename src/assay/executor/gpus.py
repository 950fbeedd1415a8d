"""How many GPUs an executor can give tasks, found without importing torch or CUDA."""

from __future__ import annotations

import functools
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
    count = _listed_gpus()
    if visible is not None:
        count = min(count, len(_entries(visible)))
    return count


@functools.cache
def _listed_gpus() -> int:
    """The GPUs ``nvidia-smi -L`` lists: asked once per process (a run asks several times)."""
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return 0
    try:
        listed = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=20,
                                check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return 0
    return sum(1 for line in listed.splitlines() if line.startswith("GPU "))


def local_gpu_workers(gpu_workers: int | None) -> int:
    """GPU workers of an embedded LocalCluster: ``gpu_workers`` when set, else the GPUs found."""
    return machine_gpus() if gpu_workers is None else int(gpu_workers)


def planned_gpus(settings: Mapping[str, Any]) -> int | None:
    """GPUs the configured executor will have; None when only a running cluster can tell."""
    from assay.executor import resolve_kind

    kind = resolve_kind(settings)
    if kind == "dask":
        return None
    if kind == "local":
        return local_gpu_workers(settings.get("gpu_workers"))
    return machine_gpus()


def worker_environments(gpus: int, visible: str | None
                        ) -> tuple[dict[str, str], list[dict[str, str]]]:
    """What a LocalCluster's CPU workers and each of its ``gpus`` GPU workers may see.

    Args:
        gpus: How many GPU workers there are.
        visible: This process's ``CUDA_VISIBLE_DEVICES`` (None when unset).

    Returns:
        The CPU workers' extra environment and each GPU worker's. With GPU workers, CPU
        workers see no GPU (``device: auto`` would otherwise use one outside the
        ``GPU=1`` accounting). GPU worker i sees the i-th device this process may use,
        so a process limited to GPUs ``2,3`` (or to GPU UUIDs) gives its workers those,
        never GPU 0; with more workers than visible devices (``gpu_workers`` set by
        hand) they share them in turn, and with none visible they see none.
    """
    if not gpus:
        return {}, []
    if visible is None:
        devices = [str(index) for index in range(gpus)]
    else:
        listed = [d for d in _entries(visible) if d != "-1"]
        devices = [listed[index % len(listed)] if listed else "" for index in range(gpus)]
    return ({"CUDA_VISIBLE_DEVICES": ""},
            [{"CUDA_VISIBLE_DEVICES": device} for device in devices])


def _entries(visible: str) -> list[str]:
    return [v.strip() for v in visible.split(",") if v.strip()]
