"""Drift statistics for one column: reference against current.

Each test works from what a profile keeps (counts per category, counts per bin on the
reference's fixed bin edges) or, where its exact value needs them, from raw values
(Kolmogorov-Smirnov). The defaults follow Evidently's selection rule so that results
are comparable: with a reference of at most 1,000 rows, p-value tests (drift when
p < 0.05): KS for numeric columns with more than 5 distinct values, chi-square for
categorical ones (or numeric with 3 to 5 values), a two-proportion Z-test for binary
ones; with a larger reference, distances (drift when >= 0.1): Wasserstein normalised by
the reference's standard deviation for numeric columns, Jensen-Shannon for the others.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

P_VALUE_TESTS = frozenset({"ks", "chisquare", "z"})
"""Tests whose value is a p-value (drift when below the threshold); the rest are distances."""

DEFAULT_THRESHOLDS = {"ks": 0.05, "chisquare": 0.05, "z": 0.05, "wasserstein": 0.1,
                      "jensenshannon": 0.1, "psi": 0.1, "hellinger": 0.1}

SMALL_REFERENCE = 1000


def drifted(test: str, value: float, threshold: float) -> bool:
    """The verdict of one test: a p-value below ``threshold``, or a distance at or above it."""
    return value < threshold if test in P_VALUE_TESTS else value >= threshold


def default_test(reference_rows: int, numeric: bool, distinct: int) -> str:
    """Evidently's default test for a column (``distinct``: values in both samples)."""
    if reference_rows <= SMALL_REFERENCE:
        if numeric and distinct > 5:
            return "ks"
        return "chisquare" if distinct > 2 else "z"
    if numeric and distinct > 5:
        return "wasserstein"
    return "jensenshannon"


# ---------------------------------------------------------------------- p-value tests


def ks_test(reference: ArrayLike, current: ArrayLike) -> tuple[float, float]:
    """Two-sample Kolmogorov-Smirnov: (statistic, p-value), as ``scipy.stats.ks_2samp``
    (which it calls: the exact small-sample distribution is scipy's to get right)."""
    from scipy.stats import ks_2samp  # type: ignore[import-untyped]

    result = ks_2samp(np.asarray(reference, dtype=float), np.asarray(current, dtype=float))
    return float(result.statistic), float(result.pvalue)


def chisquare_test(reference_counts: ArrayLike, current_counts: ArrayLike) -> tuple[float, float]:
    """Chi-square of the current counts against the reference proportions scaled to the
    current total (Evidently's form): (statistic, p-value)."""
    from scipy.special import chdtrc  # type: ignore[import-untyped]

    ref = np.asarray(reference_counts, dtype=float)
    cur = np.asarray(current_counts, dtype=float)
    expected = ref * (cur.sum() / ref.sum())
    # scipy's chisquare refuses observed and expected totals that differ in the last
    # digits; the statistic and the survival function are all it computes.
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(expected > 0, (cur - expected) ** 2 / expected,
                         np.where(cur > 0, np.inf, 0.0))
    statistic = float(terms.sum())
    return statistic, float(chdtrc(len(ref) - 1, statistic))


def z_test(reference_counts: ArrayLike, current_counts: ArrayLike) -> tuple[float, float]:
    """Two-proportion Z-test on a binary column's two counts: (z, two-sided p-value)."""
    from scipy.stats import norm

    ref = np.asarray(reference_counts, dtype=float)
    cur = np.asarray(current_counts, dtype=float)
    n1, n2 = ref.sum(), cur.sum()
    p1, p2 = ref[-1] / n1, cur[-1] / n2
    pooled = (ref[-1] + cur[-1]) / (n1 + n2)
    spread = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if spread == 0:  # both samples hold one and the same value
        return 0.0, 1.0
    z = (p1 - p2) / spread
    return float(z), float(2 * (1 - norm.cdf(abs(z))))


# ---------------------------------------------------------------------- distances


def wasserstein(reference_points: ArrayLike, reference_weights: ArrayLike,
                current_points: ArrayLike, current_weights: ArrayLike) -> float:
    """First Wasserstein distance between two weighted samples, as
    ``scipy.stats.wasserstein_distance`` (which it calls). From profiles, each side's
    points are its own (bin centres and its open bins' means), so mass beyond the
    reference's range sits where the current data put it."""
    from scipy.stats import wasserstein_distance

    return float(wasserstein_distance(np.asarray(reference_points, dtype=float),
                                      np.asarray(current_points, dtype=float),
                                      np.asarray(reference_weights, dtype=float),
                                      np.asarray(current_weights, dtype=float)))


def jensen_shannon(reference_counts: ArrayLike, current_counts: ArrayLike) -> float:
    """Jensen-Shannon distance (natural log) between two count vectors on the same keys, as
    ``scipy.spatial.distance.jensenshannon`` (which it calls; it normalises the counts)."""
    from scipy.spatial.distance import jensenshannon  # type: ignore[import-untyped]

    with np.errstate(invalid="ignore"):
        value = float(jensenshannon(np.asarray(reference_counts, dtype=float),
                                    np.asarray(current_counts, dtype=float)))
    # Rounding can leave the divergence of two near-equal distributions a hair below
    # zero, whose square root is NaN: the distance is then zero.
    return 0.0 if np.isnan(value) else value


def psi(reference_counts: ArrayLike, current_counts: ArrayLike) -> float:
    """Population stability index; empty bins count as a tiny share (as Evidently does)."""
    p = _floored(np.asarray(reference_counts, dtype=float))
    q = _floored(np.asarray(current_counts, dtype=float))
    return float(np.sum((p - q) * np.log(p / q)))


def _floored(counts: np.ndarray) -> np.ndarray:
    shares = counts / counts.sum()
    smallest = shares[shares > 0].min()
    floor = smallest / 10**6 if smallest <= 0.0001 else 0.0001
    return np.where(shares == 0, floor, shares)


def hellinger(reference_counts: ArrayLike, current_counts: ArrayLike) -> float:
    """Hellinger distance between two count vectors on the same keys (0 to 1)."""
    p = np.asarray(reference_counts, dtype=float)
    q = np.asarray(current_counts, dtype=float)
    p, q = p / p.sum(), q / q.sum()
    return float(np.sqrt(max(1.0 - np.sum(np.sqrt(p * q)), 0.0)))


# ---------------------------------------------------------------------- many columns


def corrected(p_values: Sequence[float], method: str | None) -> list[float]:
    """P-values adjusted for testing many columns: ``bonferroni``, ``bh``
    (Benjamini-Hochberg) or None (unchanged)."""
    values = np.asarray(p_values, dtype=float)
    if method is None or len(values) == 0:
        return [float(v) for v in values]
    if method == "bonferroni":
        return [float(v) for v in np.minimum(values * len(values), 1.0)]
    if method == "bh":
        order = np.argsort(values)
        ranked = values[order] * len(values) / np.arange(1, len(values) + 1)
        adjusted = np.minimum.accumulate(ranked[::-1])[::-1]
        out = np.empty_like(values)
        out[order] = np.minimum(adjusted, 1.0)
        return [float(v) for v in out]
    raise ValueError(f"unknown correction {method!r}")
