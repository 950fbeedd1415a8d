"""Datasets recently written or read in this process, kept in memory for the next reader.

Consecutive steps on one worker (or every step under the threaded executor) then hand
a frame over without a Parquet round trip. Only datasets are kept: pandas 3 frames are
copy-on-write, so a step that modifies its input cannot change what another step sees.
Entries are keyed by fingerprint, which never changes meaning, and evicted oldest first
beyond ``ASSAY_MEMORY_CACHE_MB`` (default 512; 0 turns it off).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from assay.artifacts import Dataset

_LIMIT = int(float(os.environ.get("ASSAY_MEMORY_CACHE_MB", "512")) * 2**20)
_held: OrderedDict[tuple[str, str, str], tuple[Any, int]] = OrderedDict()
_size = [0]
_lock = threading.Lock()


def remember(root: Path, fingerprint: str, output: str, kind: str, value: Any) -> None:
    """Keeps a dataset for later readers of the same output."""
    if kind != "dataset" or not isinstance(value, Dataset) or _LIMIT <= 0:
        return
    size = int(value.frame.memory_usage(deep=False).sum())
    if size > _LIMIT:
        return
    key = (str(root), fingerprint, output)
    with _lock:
        if key in _held:
            _held.move_to_end(key)
            return
        _held[key] = (value, size)
        _size[0] += size
        while _size[0] > _LIMIT:
            _, (_, evicted) = _held.popitem(last=False)
            _size[0] -= evicted


def recall(root: Path, fingerprint: str, output: str) -> Any:
    """The kept value, or None."""
    with _lock:
        entry = _held.get((str(root), fingerprint, output))
        if entry is None:
            return None
        _held.move_to_end((str(root), fingerprint, output))
        return entry[0]

