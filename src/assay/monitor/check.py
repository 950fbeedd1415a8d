"""A drift check: every column of a reference profile against a current profile.

Each column gets a test (Evidently's default rule, or one named per column or per
type), a value, a threshold and a verdict; a column with fewer than ``min_rows``
values on either side is "insufficient data" rather than a verdict. The dataset has
drifted when the share of drifted columns (among those tested) reaches
``drift_share``. P-values may be corrected for the number of columns (Bonferroni or
Benjamini-Hochberg).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from assay.config.schema import DRIFT_SHARE
from assay.errors import ConfigError, Problem
from assay.monitor import stats
from assay.monitor.profile import CategoricalProfile, ColumnProfile, NumericProfile

INSUFFICIENT = "insufficient data"
NUMERIC_ONLY = frozenset({"ks", "wasserstein"})
"""Tests of values on a line: a categorical column cannot have them."""


@dataclass(frozen=True)
class DriftSettings:
    """How columns are tested and when the dataset counts as drifted."""

    drift_share: float = DRIFT_SHARE
    correction: str | None = None  # bonferroni, bh or None
    min_rows: int = 30
    column_tests: Mapping[str, str] = field(default_factory=dict)  # column -> test
    type_tests: Mapping[str, str] = field(default_factory=dict)  # numeric/categorical -> test
    thresholds: Mapping[str, float] = field(default_factory=dict)  # column or test -> value


@dataclass(frozen=True)
class ColumnDrift:
    """One column's result."""

    column: str
    kind: str  # numeric or categorical
    test: str
    statistic: float | None
    value: float | None
    threshold: float
    verdict: str  # drift, no drift, insufficient data
    reference_rows: int
    current_rows: int


@dataclass(frozen=True)
class DriftResult:
    """Every column's result and the dataset's verdict."""

    columns: tuple[ColumnDrift, ...]
    drift_share: float  # the share of tested columns that drifted
    threshold: float
    drifted: bool

    def to_json(self) -> dict[str, Any]:
        """Plain data, as stored and as ``--json`` prints it."""
        return {"drifted": self.drifted, "drift_share": self.drift_share,
                "threshold": self.threshold, "columns": [asdict(c) for c in self.columns]}


def check_drift(reference: Mapping[str, ColumnProfile], current: Mapping[str, ColumnProfile],
                settings: DriftSettings = DriftSettings()) -> DriftResult:
    """Tests each column of ``reference`` that ``current`` also has."""
    reference_rows = max((_rows(p) for p in reference.values()), default=0)
    raw = [_column(name, profile, current[name], reference_rows, settings)
           for name, profile in reference.items() if name in current]
    raw = _apply_correction(raw, settings.correction)
    tested = [c for c in raw if c.verdict != INSUFFICIENT]
    share = sum(c.verdict == "drift" for c in tested) / len(tested) if tested else 0.0
    return DriftResult(tuple(raw), share, settings.drift_share,
                       bool(tested) and share >= settings.drift_share)


def _rows(profile: ColumnProfile) -> int:
    return profile.count + profile.missing


def _column(name: str, reference: ColumnProfile, current: ColumnProfile, reference_rows: int,
            settings: DriftSettings) -> ColumnDrift:
    numeric = isinstance(reference, NumericProfile)
    kind = "numeric" if numeric else "categorical"
    if isinstance(reference, NumericProfile) and isinstance(current, NumericProfile):
        distinct = len(reference.distinct | current.distinct)
    elif isinstance(reference, CategoricalProfile) and isinstance(current, CategoricalProfile):
        distinct = len(set(reference.counts) | set(current.counts))
    else:
        raise ValueError(f"column {name!r} is numeric on one side only")
    test = (settings.column_tests.get(name) or settings.type_tests.get(kind)
            or stats.default_test(reference_rows, numeric, distinct))
    if test in NUMERIC_ONLY and not numeric:
        chosen_by = (f"monitor.columns.{name}.test" if name in settings.column_tests
                     else "monitor.tests.categorical")
        raise ConfigError(Problem(f"{test} needs a numeric column, and '{name}' is categorical",
                                  key=chosen_by, expected="chisquare, z, jensenshannon, psi or "
                                  "hellinger for a categorical column"))
    threshold = float(settings.thresholds.get(name, settings.thresholds.get(
        test, stats.DEFAULT_THRESHOLDS[test])))
    counts = (reference.count, current.count)
    if min(counts) < settings.min_rows:
        return ColumnDrift(name, kind, test, None, None, threshold, INSUFFICIENT, *counts)
    statistic, value = _run(test, reference, current)
    result = stats.TestResult(test, value, threshold, statistic)
    return ColumnDrift(name, kind, test, statistic, value, threshold,
                       "drift" if result.drifted else "no drift", *counts)


def _run(test: str, reference: ColumnProfile, current: ColumnProfile) -> tuple[float | None, float]:
    if test in NUMERIC_ONLY:  # _column refused these for categorical columns
        assert isinstance(reference, NumericProfile) and isinstance(current, NumericProfile)
        if test == "ks":
            return stats.ks_test(reference.sample, current.sample)
        distance = stats.wasserstein(reference.points, reference.counts, current.counts)
        return None, distance / max(reference.std, 0.001)
    ref_counts, cur_counts = _aligned_counts(reference, current)
    if test == "chisquare":
        return stats.chisquare_test(ref_counts, cur_counts)
    if test == "z":
        return stats.z_test(ref_counts, cur_counts)
    measure = {"jensenshannon": stats.jensen_shannon, "psi": stats.psi,
               "hellinger": stats.hellinger}[test]
    return None, measure(ref_counts, cur_counts)


def _aligned_counts(reference: ColumnProfile,
                    current: ColumnProfile) -> tuple[np.ndarray, np.ndarray]:
    """Counts of both sides on the same keys: categories, or bins non-empty on a side."""
    if isinstance(reference, CategoricalProfile) and isinstance(current, CategoricalProfile):
        keys = sorted(set(reference.counts) | set(current.counts))
        return (np.array([reference.counts.get(k, 0) for k in keys], float),
                np.array([current.counts.get(k, 0) for k in keys], float))
    assert isinstance(reference, NumericProfile) and isinstance(current, NumericProfile)
    used = (reference.counts > 0) | (current.counts > 0)
    return reference.counts[used].astype(float), current.counts[used].astype(float)


def _apply_correction(columns: list[ColumnDrift], method: str | None) -> list[ColumnDrift]:
    if method is None:
        return columns
    tested = [i for i, c in enumerate(columns)
              if c.value is not None and c.test in stats.P_VALUE_TESTS]
    adjusted = stats.corrected([columns[i].value for i in tested], method)  # type: ignore[misc]
    out = list(columns)
    for i, value in zip(tested, adjusted, strict=True):
        column = columns[i]
        verdict = "drift" if value < column.threshold else "no drift"
        out[i] = ColumnDrift(column.column, column.kind, column.test, column.statistic, value,
                             column.threshold, verdict, column.reference_rows,
                             column.current_rows)
    return out
