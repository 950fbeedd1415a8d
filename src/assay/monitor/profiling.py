"""Profiling tables: a reference from a DataFrame or from a file read a piece at a time,
a current one partition by partition on the reference's bin edges."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from assay.monitor.profile import (
    SAMPLE,
    CategoricalProfile,
    ColumnProfile,
    NumericProfile,
    merge_samples,
    numeric_edges,
)
from assay.monitor.reading import frames, pieces

Profiles = dict[str, ColumnProfile]


def reference_profile(frame: Any, seed: int = 0, sample: int = SAMPLE) -> Profiles:
    """Profiles every column of ``frame``, fixing each numeric column's bin edges.

    ``sample`` caps the raw values kept per numeric column (Kolmogorov-Smirnov is exact
    while the reference has at most that many rows).
    """
    shapes = {str(name): _empty(_values(frame[name]), sample) for name in frame.columns}
    return current_profile(frame, shapes, seed, sample)


def reference_from_frames(read: Callable[[], Iterable[Any]], seed: int = 0,
                          sample: int = SAMPLE) -> Profiles:
    """A reference profile of a table too large to load at once, read twice by ``read``
    (which gives its pieces, DataFrames, anew on each call).

    The first pass draws a uniform sample of each numeric column (``SAMPLE`` values) and
    fixes its bin edges from the sample's quantiles; the second counts every value on
    those edges (and every category). A column categorical in any piece is categorical.
    """
    rng = np.random.default_rng(seed)
    samples: dict[str, tuple[np.ndarray, int] | None] = {}  # None: categorical
    for frame in read():
        for name in frame.columns:
            key = str(name)
            values = None if key in samples and samples[key] is None else _values(frame[name])
            if values is None:
                samples[key] = None
                continue
            present = values[~np.isnan(values)]
            kept, seen = samples.get(key) or (np.empty(0), 0)
            samples[key] = merge_samples(kept, seen, present, len(present), SAMPLE, rng)
    shapes = {name: _empty(None if drawn is None else drawn[0], sample)
              for name, drawn in samples.items()}  # in the table's column order
    return merged((current_profile(frame, shapes, seed, sample) for frame in read()), seed)


def reference_from_file(path: Path, key: str = "monitor.reference", seed: int = 0) -> Profiles:
    """The reference profile of a Parquet file or folder, or a CSV file, one piece (row
    group or chunk) in memory at a time. ``key`` names the setting, for errors."""
    found = pieces(path, key)
    return reference_from_frames(lambda: frames(found, numbers_key=key), seed)


def current_profile(frame: Any, reference: Mapping[str, ColumnProfile],
                    seed: int = 0, sample: int = SAMPLE) -> Profiles:
    """Profiles ``frame``'s columns that ``reference`` has, on the reference's bin edges."""
    rng = np.random.default_rng(seed)
    by_name = {str(name): name for name in frame.columns}
    profiles: Profiles = {}
    for name, shape in reference.items():
        if name not in by_name:
            continue
        column = frame[by_name[name]]
        if isinstance(shape, NumericProfile):
            profile = shape.empty_like(limit=sample)
            profile.add(column.to_numpy(dtype=float, na_value=np.nan), rng)
            profiles[name] = profile
        else:
            categorical = CategoricalProfile()
            categorical.add(column)
            profiles[name] = categorical
    return profiles


def table_rows(profiles: Mapping[str, ColumnProfile]) -> int:
    """The rows a table's profiles saw (present and missing values of any column)."""
    return max((profile.rows for profile in profiles.values()), default=0)


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


def _values(column: Any) -> np.ndarray | None:
    """A numeric column's values as floats (NaN for missing); None for a categorical one."""
    return column.to_numpy(dtype=float, na_value=np.nan) if _is_numeric(column) else None


def _empty(values: np.ndarray | None, sample: int) -> ColumnProfile:
    """An empty profile: numeric with bin edges from ``values``, categorical without values."""
    if values is None:
        return CategoricalProfile()
    edges = numeric_edges(values)
    return NumericProfile(edges, np.zeros(len(edges) + 1, np.int64), limit=sample)


def _is_numeric(column: Any) -> bool:
    import pandas as pd

    return bool(pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column))
