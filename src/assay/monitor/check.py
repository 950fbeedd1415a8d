"""A drift check: every column of a reference profile against a current profile.

Each column gets a test (Evidently's default rule, or one named per column or per
type), a value, a threshold and a verdict; a column with fewer than ``min_rows``
values on either side is "insufficient data" rather than a verdict. A column the
reference has and the current data lacks is "missing": the model cannot score rows
without it, so by default it counts as drifted (``missing_columns: ignore`` lists it
without counting it). The dataset has drifted when the share of drifted columns (among
those tested) reaches ``drift_share``. P-values may be corrected for the number of columns (Bonferroni or
Benjamini-Hochberg).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from assay.config.schema import DRIFT_SHARE, MIN_ROWS, MISSING_COLUMN_CHOICES, NUMERIC_ONLY_TESTS
from assay.errors import ConfigError, Problem
from assay.monitor import stats
from assay.monitor.profile import CategoricalProfile, ColumnProfile, NumericProfile
from assay.monitor.profiling import table_rows

INSUFFICIENT = "insufficient data"
DRIFT = "drift"
NO_DRIFT = "no drift"
MISSING = "missing"


@dataclass(frozen=True)
class DriftSettings:
    """How columns are tested and when the dataset counts as drifted."""

    drift_share: float = DRIFT_SHARE
    correction: str | None = None  # bonferroni, bh or None
    min_rows: int = MIN_ROWS
    column_tests: Mapping[str, str] = field(default_factory=dict)  # column -> test
    type_tests: Mapping[str, str] = field(default_factory=dict)  # numeric/categorical -> test
    column_thresholds: Mapping[str, float] = field(default_factory=dict)  # column -> threshold
    missing_columns: str = "drifted"  # or "ignore": a missing column is listed, not counted
    optional: frozenset[str] = frozenset()  # columns the current data may lack (the labels)


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
    missing_drifted: bool = True  # whether a missing column counts as a drifted one

    @property
    def tested(self) -> tuple[ColumnDrift, ...]:
        """The columns with a verdict (not "insufficient data"; "missing" when it counts)."""
        return tuple(c for c in self.columns if c.verdict in (DRIFT, NO_DRIFT)
                     or (c.verdict == MISSING and self.missing_drifted))

    @property
    def drifted_columns(self) -> tuple[ColumnDrift, ...]:
        """The columns that drifted (and the missing ones, when they count as drifted)."""
        return tuple(c for c in self.columns if c.verdict == DRIFT
                     or (c.verdict == MISSING and self.missing_drifted))

    @property
    def missing(self) -> tuple[str, ...]:
        """The reference's columns the current data lacks."""
        return tuple(c.column for c in self.columns if c.verdict == MISSING)

    def to_json(self) -> dict[str, Any]:
        """Plain data, as stored and as ``--json`` prints it."""
        return {"drifted": self.drifted, "drift_share": self.drift_share,
                "threshold": self.threshold, "missing_columns": list(self.missing),
                "columns": [asdict(c) for c in self.columns]}


def check_drift(reference: Mapping[str, ColumnProfile], current: Mapping[str, ColumnProfile],
                settings: DriftSettings = DriftSettings()) -> DriftResult:
    """Tests each column of ``reference`` that ``current`` also has; the others (but
    ``settings.optional``) are "missing"."""
    if settings.missing_columns not in MISSING_COLUMN_CHOICES:
        raise ConfigError(Problem(f"unknown missing-column policy '{settings.missing_columns}'",
                                  key="monitor.missing_columns",
                                  expected=" or ".join(MISSING_COLUMN_CHOICES)))
    reference_rows = table_rows(reference)
    raw = [_column(name, profile, current[name], reference_rows, settings) if name in current
           else _missing(name, profile, reference_rows, settings)
           for name, profile in reference.items()
           if name in current or name not in settings.optional]
    columns = _apply_correction(raw, settings.correction)
    counted = settings.missing_columns == "drifted"
    result = DriftResult(tuple(columns), 0.0, settings.drift_share, False, counted)
    tested = result.tested
    share = len(result.drifted_columns) / len(tested) if tested else 0.0
    return dataclasses.replace(result, drift_share=share,
                               drifted=bool(tested) and share >= settings.drift_share)


def _missing(name: str, reference: ColumnProfile, reference_rows: int,
             settings: DriftSettings) -> ColumnDrift:
    """A column the current data lacks, with the test it would have had."""
    numeric = isinstance(reference, NumericProfile)
    kind = "numeric" if numeric else "categorical"
    distinct = (len(reference.distinct) if isinstance(reference, NumericProfile)
                else len(reference.counts) if isinstance(reference, CategoricalProfile) else 0)
    test = (settings.column_tests.get(name) or settings.type_tests.get(kind)
            or stats.default_test(reference_rows, numeric, distinct))
    threshold = float(settings.column_thresholds.get(name, stats.DEFAULT_THRESHOLDS[test]))
    return ColumnDrift(name, kind, test, None, None, threshold, MISSING, reference.count, 0)


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
    if test in NUMERIC_ONLY_TESTS and not numeric:
        _refuse_numeric_test(name, test, settings)
    threshold = float(settings.column_thresholds.get(name, stats.DEFAULT_THRESHOLDS[test]))
    counts = (reference.count, current.count)
    # Without a value on a side there is nothing to test, whatever min_rows says.
    if min(counts) < max(settings.min_rows, 1):
        return ColumnDrift(name, kind, test, None, None, threshold, INSUFFICIENT, *counts)
    statistic, value = _run(test, reference, current)
    return ColumnDrift(name, kind, test, statistic, value, threshold,
                       _verdict(test, value, threshold), *counts)


def _refuse_numeric_test(name: str, test: str, settings: DriftSettings) -> None:
    """Only a per-column test can meet a categorical column it cannot measure: whether a
    column is categorical shows in the data, while ``validate_config`` already limits
    ``monitor.tests.categorical`` to tests of categories."""
    if name not in settings.column_tests:
        raise ValueError(f"{test} cannot test the categorical column {name!r}")
    raise ConfigError(Problem(f"{test} needs a numeric column, and '{name}' is categorical",
                              key=f"monitor.columns.{name}.test",
                              expected="chisquare, z, jensenshannon, psi or hellinger for a "
                                       "categorical column"))


def _verdict(test: str, value: float, threshold: float) -> str:
    return DRIFT if stats.drifted(test, value, threshold) else NO_DRIFT


def _run(test: str, reference: ColumnProfile, current: ColumnProfile) -> tuple[float | None, float]:
    if test in NUMERIC_ONLY_TESTS:  # _column refused these for categorical columns
        assert isinstance(reference, NumericProfile) and isinstance(current, NumericProfile)
        if test == "ks":
            return stats.ks_test(reference.sample, current.sample)
        # Each side's own points: current mass beyond the reference's range sits at the
        # mean of the values there, not at the reference's open-bin mean.
        distance = stats.wasserstein(reference.points, reference.counts,
                                     current.points, current.counts)
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
        out[i] = dataclasses.replace(columns[i], value=value, verdict=_verdict(
            columns[i].test, value, columns[i].threshold))
    return out
