"""Column profiles: what drift tests need from a dataset, computed in one pass and mergeable.

A reference profile is made once (at training time) and fixes the bin edges; a current
profile is computed on each partition of the current data with those edges and the
partial profiles are summed, so data larger than memory is profiled partition by
partition and the reference data is never read again. A numeric column keeps counts
on the reference's bin edges (with one open bin below and one above, whose values'
sums place their mass), moments, extremes, up to six distinct values (to tell binary
and few-valued columns apart) and a bounded uniform sample (for Kolmogorov-Smirnov,
exact while a side has at most ``SAMPLE`` rows). A categorical column keeps counts per
value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

BINS = 200
SAMPLE = 100_000
DISTINCT_CAP = 6
CATEGORY_CAP = 1000
OTHER = "(other)"


@dataclass
class NumericProfile:
    """One numeric column."""

    edges: np.ndarray
    counts: np.ndarray  # len(edges) + 1: below, each bin, above
    below_sum: float = 0.0
    above_sum: float = 0.0
    count: int = 0
    missing: int = 0
    total: float = 0.0
    total_sq: float = 0.0
    minimum: float = np.inf
    maximum: float = -np.inf
    distinct: set[float] = field(default_factory=set)
    sample: np.ndarray = field(default_factory=lambda: np.empty(0))
    seen: int = 0  # values the sample was drawn from
    limit: int = SAMPLE  # the most values the sample keeps

    @property
    def rows(self) -> int:
        """Rows seen: values present and missing."""
        return self.count + self.missing

    @property
    def std(self) -> float:
        """The population standard deviation."""
        if not self.count:
            return 0.0
        mean = self.total / self.count
        return float(np.sqrt(max(self.total_sq / self.count - mean * mean, 0.0)))

    @property
    def points(self) -> np.ndarray:
        """Where each count's mass sits: the open bins' means and the bin centres."""
        centres = (self.edges[:-1] + self.edges[1:]) / 2
        low = self.below_sum / self.counts[0] if self.counts[0] else self.edges[0]
        high = self.above_sum / self.counts[-1] if self.counts[-1] else self.edges[-1]
        return np.concatenate([[min(low, self.edges[0])], centres, [max(high, self.edges[-1])]])

    def add(self, values: np.ndarray, rng: np.random.Generator) -> None:
        """Adds a chunk of values (NaN counts as missing)."""
        values = np.asarray(values, dtype=float)
        present = values[~np.isnan(values)]
        self.missing += len(values) - len(present)
        if not len(present):
            return
        where = np.searchsorted(self.edges, present, side="right")
        self.counts += np.bincount(where, minlength=len(self.counts))
        self.below_sum += float(present[where == 0].sum())
        self.above_sum += float(present[where == len(self.edges)].sum())
        self.count += len(present)
        self.total += float(present.sum())
        self.total_sq += float(np.square(present).sum())
        self.minimum = min(self.minimum, float(present.min()))
        self.maximum = max(self.maximum, float(present.max()))
        if len(self.distinct) < DISTINCT_CAP:
            self.distinct.update(_first_distinct(present, DISTINCT_CAP - len(self.distinct)))
        self.sample, self.seen = merge_samples(self.sample, self.seen, present, len(present),
                                                self.limit, rng)

    def merge(self, other: NumericProfile, rng: np.random.Generator) -> None:
        """Adds another partition's profile (made with the same edges)."""
        self.counts = self.counts + other.counts
        self.below_sum += other.below_sum
        self.above_sum += other.above_sum
        self.count += other.count
        self.missing += other.missing
        self.total += other.total
        self.total_sq += other.total_sq
        self.minimum = min(self.minimum, other.minimum)
        self.maximum = max(self.maximum, other.maximum)
        self.distinct = set(sorted(self.distinct | other.distinct)[:DISTINCT_CAP])
        self.sample, self.seen = merge_samples(self.sample, self.seen, other.sample, other.seen,
                                                self.limit, rng)

    def to_json(self) -> dict[str, Any]:
        """Plain data (stored with a model version)."""
        return {"kind": "numeric", "edges": self.edges.tolist(), "counts": self.counts.tolist(),
                "below_sum": self.below_sum, "above_sum": self.above_sum, "count": self.count,
                "missing": self.missing, "total": self.total, "total_sq": self.total_sq,
                "minimum": self.minimum, "maximum": self.maximum,
                "distinct": sorted(self.distinct), "sample": self.sample.tolist(),
                "seen": self.seen, "limit": self.limit}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> NumericProfile:
        """The inverse of :meth:`to_json`."""
        return cls(np.asarray(data["edges"], float), np.asarray(data["counts"], np.int64),
                   data["below_sum"], data["above_sum"], data["count"], data["missing"],
                   data["total"], data["total_sq"], data["minimum"], data["maximum"],
                   set(data["distinct"]), np.asarray(data["sample"], float), data["seen"],
                   data.get("limit", SAMPLE))

    def empty_like(self, limit: int = SAMPLE) -> NumericProfile:
        """A profile with the same edges and nothing counted."""
        return NumericProfile(self.edges, np.zeros_like(self.counts), limit=limit)


@dataclass
class CategoricalProfile:
    """One categorical column: counts per value (the rarest beyond CATEGORY_CAP pooled)."""

    counts: dict[str, int] = field(default_factory=dict)
    missing: int = 0

    @property
    def count(self) -> int:
        """Values present."""
        return sum(self.counts.values())

    @property
    def rows(self) -> int:
        """Rows seen: values present and missing."""
        return self.count + self.missing

    def add(self, values: Any) -> None:
        """Adds a chunk of values (a pandas Series)."""
        self.missing += int(values.isna().sum())
        # Counting first and naming the keys after keeps a million-row column from being
        # copied into a million Python strings.
        for value, count in values.value_counts(dropna=True).items():
            self.counts[str(value)] = self.counts.get(str(value), 0) + int(count)
        self._cap()

    def merge(self, other: CategoricalProfile) -> None:
        """Adds another partition's profile."""
        for value, count in other.counts.items():
            self.counts[value] = self.counts.get(value, 0) + count
        self.missing += other.missing
        self._cap()

    def _cap(self) -> None:
        if len(self.counts) <= CATEGORY_CAP:
            return
        ranked = sorted(self.counts.items(), key=lambda kv: -kv[1])
        kept = dict(ranked[:CATEGORY_CAP - 1])
        kept[OTHER] = kept.get(OTHER, 0) + sum(c for _, c in ranked[CATEGORY_CAP - 1:])
        self.counts = kept

    def to_json(self) -> dict[str, Any]:
        """Plain data."""
        return {"kind": "categorical", "counts": dict(self.counts), "missing": self.missing}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CategoricalProfile:
        """The inverse of :meth:`to_json`."""
        return cls(dict(data["counts"]), data["missing"])


ColumnProfile = NumericProfile | CategoricalProfile


def histogram(profile: ColumnProfile) -> dict[str, Any]:
    """The part of a profile a histogram is drawn from: bin edges and counts, or category counts.

    Kept with each drift check for the columns that drifted, so the report can show
    reference against current without the current data (which is not stored).
    """
    if isinstance(profile, NumericProfile):
        return {"kind": "numeric", "edges": profile.edges.tolist(), "counts": profile.counts.tolist()}
    return {"kind": "categorical", "counts": dict(profile.counts)}


def numeric_edges(values: np.ndarray, bins: int = BINS) -> np.ndarray:
    """Fixed bin edges for a reference column: its quantiles, so every bin holds data."""
    present = values[~np.isnan(values)]
    if not len(present):
        return np.array([0.0, 1.0])
    edges = np.unique(np.quantile(present, np.linspace(0, 1, bins + 1)))
    return edges if len(edges) > 1 else np.array([edges[0], edges[0] + 1.0])


def _first_distinct(values: np.ndarray, wanted: int) -> list[float]:
    """Up to ``wanted`` distinct values, without sorting the whole column: a prefix
    usually shows enough; a column with few values is hashed (``pandas.unique``)."""
    prefix = np.unique(values[:10_000])
    if len(prefix) >= wanted:
        return [float(v) for v in prefix[:wanted]]
    import pandas as pd

    return [float(v) for v in pd.unique(values)[:wanted]]


def merge_samples(a: np.ndarray, a_seen: int, b: np.ndarray, b_seen: int, limit: int,
                   rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """A uniform sample of both sides' values, at most ``limit`` long (all if fewer)."""
    seen = a_seen + b_seen
    if len(a) + len(b) <= limit and len(a) == a_seen and len(b) == b_seen:
        return np.concatenate([a, b]), seen
    take_a = rng.binomial(limit, a_seen / seen) if seen else 0
    take_a = min(take_a, len(a))
    take_b = min(limit - take_a, len(b))
    return np.concatenate([rng.choice(a, take_a, replace=False),
                           rng.choice(b, take_b, replace=False)]), seen
