"""Profiling tables: a reference from a DataFrame, a current one partition by partition."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from assay.monitor.profile import (
    SAMPLE,
    CategoricalProfile,
    ColumnProfile,
    NumericProfile,
    numeric_edges,
)

Profiles = dict[str, ColumnProfile]


def reference_profile(frame: Any, seed: int = 0, sample: int = SAMPLE) -> Profiles:
    """Profiles every column of ``frame``, fixing each numeric column's bin edges.

    ``sample`` caps the raw values kept per numeric column (Kolmogorov-Smirnov is exact
    while the reference has at most that many rows).
    """
    rng = np.random.default_rng(seed)
    profiles: Profiles = {}
    for name in frame.columns:
        column = frame[name]
        if _is_numeric(column):
            values = column.to_numpy(dtype=float, na_value=np.nan)
            edges = numeric_edges(values)
            profile = NumericProfile(edges, np.zeros(len(edges) + 1, np.int64), limit=sample)
            profile.add(values, rng)
            profiles[str(name)] = profile
        else:
            categorical = CategoricalProfile()
            categorical.add(column)
            profiles[str(name)] = categorical
    return profiles


def current_profile(frame: Any, reference: Mapping[str, ColumnProfile],
                    seed: int = 0, sample: int = SAMPLE) -> Profiles:
    """Profiles ``frame``'s columns that ``reference`` has, on the reference's bin edges."""
    rng = np.random.default_rng(seed)
    profiles: Profiles = {}
    for name, shape in reference.items():
        if name not in frame.columns:
            continue
        if isinstance(shape, NumericProfile):
            profile = shape.empty_like(limit=sample)
            profile.add(frame[name].to_numpy(dtype=float, na_value=np.nan), rng)
            profiles[name] = profile
        else:
            categorical = CategoricalProfile()
            categorical.add(frame[name])
            profiles[name] = categorical
    return profiles


def merged(parts: Iterable[Profiles], seed: int = 0) -> Profiles:
    """One profile per column from the profiles of several partitions."""
    rng = np.random.default_rng(seed)
    total: Profiles = {}
    for part in parts:
        for name, profile in part.items():
            kept = total.setdefault(name, profile)
            if kept is profile:
                continue
            if isinstance(kept, NumericProfile) and isinstance(profile, NumericProfile):
                kept.merge(profile, rng)
            elif isinstance(kept, CategoricalProfile) and isinstance(profile, CategoricalProfile):
                kept.merge(profile)
            else:
                raise ValueError(f"column {name!r} is numeric in one part and not in another")
    return total


def to_json(profiles: Mapping[str, ColumnProfile]) -> dict[str, Any]:
    """Plain data for storage."""
    return {name: profile.to_json() for name, profile in profiles.items()}


def from_json(data: Mapping[str, Any]) -> Profiles:
    """The inverse of :func:`to_json`."""
    return {name: NumericProfile.from_json(p) if p["kind"] == "numeric"
            else CategoricalProfile.from_json(p) for name, p in data.items()}


def _is_numeric(column: Any) -> bool:
    import pandas as pd

    return bool(pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column))
