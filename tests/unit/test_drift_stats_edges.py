"""Drift statistics at their edges: degrees of freedom, empty categories, tiny shares, caps.

The comparisons with scipy in test_drift_stats.py use samples large enough to give p-values
near zero, where a wrong number of degrees of freedom goes unseen; these use small counts
whose p-values sit in the middle of the range, and values computed by hand.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from scipy import stats

from assay.monitor import stats as drift


@pytest.mark.parametrize(("reference", "current", "statistic", "dof"), [
    ([10, 10], [12, 8], 0.8, 1),
    ([10, 10, 10], [12, 9, 9], 0.6, 2),
    ([10, 10, 10, 10], [13, 9, 9, 9], 1.2, 3),
])
def test_chisquare_has_one_degree_of_freedom_less_than_categories(
        reference: list[int], current: list[int], statistic: float, dof: int) -> None:
    value, p_value = drift.chisquare_test(reference, current)
    assert value == pytest.approx(statistic, abs=1e-12)
    assert p_value == pytest.approx(stats.chi2.sf(statistic, dof), abs=1e-12)
    assert 0.3 < p_value < 0.9  # mid-range, where a wrong dof moves it visibly
    assert p_value != pytest.approx(stats.chi2.sf(statistic, dof + 1), abs=1e-3)


def test_chisquare_scales_the_reference_to_the_current_total() -> None:
    # The reference has 10x the rows of the current sample and the same proportions.
    assert drift.chisquare_test([100, 200, 300], [10, 20, 30]) == (0.0, 1.0)


# Warnings are errors here: the statistic must not pass through 0/0 or x/0 on the way.
@pytest.mark.filterwarnings("error")
def test_chisquare_category_new_in_current_is_infinite_drift() -> None:
    # The reference never saw the middle category: expected 0, observed 1.
    assert drift.chisquare_test([10, 0, 10], [10, 1, 10]) == (np.inf, 0.0)


@pytest.mark.filterwarnings("error")
def test_chisquare_category_empty_on_both_sides_adds_nothing() -> None:
    statistic, p_value = drift.chisquare_test([10, 0, 10], [12, 0, 8])
    assert statistic == pytest.approx(0.8, abs=1e-12)  # no NaN from 0/0
    assert p_value == pytest.approx(stats.chi2.sf(0.8, 2), abs=1e-12)


def test_chisquare_counts_a_category_expected_less_than_once() -> None:
    # Expected counts 0.5 and 9.5: a category rare in the reference still counts when missed.
    statistic, _ = drift.chisquare_test([1, 19], [0, 10])
    assert statistic == pytest.approx(0.5 + 0.25 / 9.5, abs=1e-12)


def test_z_test_of_a_column_with_one_value_on_both_sides_is_no_drift() -> None:
    # A constant column has one category, so one count a side (the default test is z).
    assert drift.default_test(100, numeric=False, distinct=1) == "z"
    assert drift.z_test([10], [7]) == (0.0, 1.0)


def test_z_test_sign_follows_the_reference_minus_current_share() -> None:
    z_up, p_up = drift.z_test([900, 100], [800, 200])
    z_down, p_down = drift.z_test([800, 200], [900, 100])
    assert z_up < 0 < z_down
    assert z_up == pytest.approx(-z_down) and p_up == pytest.approx(p_down)
    assert 0 < p_up < 1e-6


def _psi(p: list[float], q: list[float]) -> float:
    a, b = np.asarray(p), np.asarray(q)
    return float(np.sum((a - b) * np.log(a / b)))


def test_psi_floors_empty_bins_at_a_ten_thousandth_share() -> None:
    # The smallest non-empty share (0.25) is well above 1e-4: empty bins count as 1e-4.
    assert drift.psi([1, 0, 3], [1, 1, 2]) == pytest.approx(
        _psi([0.25, 1e-4, 0.75], [0.25, 0.25, 0.5]), rel=1e-12)


def test_psi_floors_below_a_tiny_share_a_millionth_of_it() -> None:
    # A non-empty share of 1e-5 is below the usual floor: empty bins count as 1e-5 / 10**6.
    assert drift.psi([1, 0, 99_999], [1, 1, 99_998]) == pytest.approx(
        _psi([1e-5, 1e-11, 0.99999], [1e-5, 1e-5, 0.99998]), rel=1e-12)


def test_psi_floor_at_exactly_a_ten_thousandth_is_the_tiny_branch() -> None:
    # 1 / 10_000 is exactly 1e-4: the smallest share counts as tiny (<=), so the floor is 1e-10.
    assert drift.psi([1, 0, 9_999], [1, 1, 9_998]) == pytest.approx(
        _psi([1e-4, 1e-10, 0.9999], [1e-4, 1e-4, 0.9998]), rel=1e-12)


def test_psi_of_identical_counts_is_zero_even_with_empty_bins() -> None:
    assert drift.psi([5, 0, 5], [50, 0, 50]) == 0.0


def test_hellinger_of_a_sample_with_itself_is_zero_not_nan() -> None:
    # Twenty equal shares: the Bhattacharyya sum rounds a hair above 1.
    counts = [1] * 20
    assert drift.hellinger(counts, counts) == 0.0


def test_hellinger_of_disjoint_samples_is_one() -> None:
    assert drift.hellinger([5, 0], [0, 7]) == pytest.approx(1.0)


@pytest.mark.filterwarnings("error")
def test_jensen_shannon_of_proportional_counts_is_zero_not_nan() -> None:
    # Equal shares whose divergence rounds a hair below zero: its square root would be NaN.
    reference = np.array([61.0, 97.0, 73.0, 63.0, 54.0])
    assert drift.jensen_shannon(reference, reference * 1.0000001) == 0.0


def test_bonferroni_caps_at_one() -> None:
    assert drift.corrected([0.5, 0.3], "bonferroni") == [1.0, 0.6]


def test_benjamini_hochberg_caps_at_one_and_keeps_the_order() -> None:
    assert drift.corrected([1.0, 1.0, 0.5], "bh") == [1.0, 1.0, 1.0]
    # sorted 0.01, 0.02, 0.9 -> 0.03, 0.03, 0.9; returned in the input's order
    assert drift.corrected([0.9, 0.01, 0.02], "bh") == pytest.approx([0.9, 0.03, 0.03])


def test_correction_of_no_p_values_is_empty() -> None:
    assert drift.corrected([], "bh") == []
    assert drift.corrected([], "bonferroni") == []


def test_unknown_correction_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match=re.escape("unknown correction 'holm'")):
        drift.corrected([0.5], "holm")


@pytest.mark.parametrize(("test", "value", "threshold", "verdict"), [
    ("ks", 0.05, 0.05, False),  # a p-value at the threshold is not drift
    ("ks", 0.0499, 0.05, True),
    ("chisquare", 0.04, 0.05, True),
    ("z", 0.2, 0.05, False),
    ("psi", 0.1, 0.1, True),  # a distance at the threshold is drift
    ("wasserstein", 0.0999, 0.1, False),
    ("jensenshannon", 0.5, 0.1, True),
])
def test_drifted_reads_p_values_and_distances_each_their_way(
        test: str, value: float, threshold: float, verdict: bool) -> None:
    assert drift.drifted(test, value, threshold) is verdict


@pytest.mark.parametrize(("rows", "numeric", "distinct", "test"), [
    (1000, True, 2, "z"),
    (1000, False, 3, "chisquare"),
    (1000, False, 6, "chisquare"),  # categorical: never KS however many values
    (1001, False, 2, "jensenshannon"),
    (1001, True, 6, "wasserstein"),
    (1001, True, 5, "jensenshannon"),
])
def test_default_test_at_each_boundary(rows: int, numeric: bool, distinct: int, test: str) -> None:
    assert drift.default_test(rows, numeric=numeric, distinct=distinct) == test
