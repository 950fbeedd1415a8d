"""Drift statistics against scipy's, and their behaviour on same and shifted data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from scipy.spatial import distance

from assay.monitor import stats as drift


@pytest.mark.parametrize(("n", "m"), [(80, 120), (1000, 50_000)])
def test_ks_equals_scipy(n: int, m: int) -> None:
    rng = np.random.default_rng(0)
    reference, current = rng.normal(size=n), rng.normal(0.1, size=m)
    expected = stats.ks_2samp(reference, current)
    statistic, p_value = drift.ks_test(reference, current)
    assert statistic == pytest.approx(expected.statistic, abs=1e-9)
    assert p_value == pytest.approx(expected.pvalue, abs=1e-9)


def test_chisquare_equals_scipy_on_evidently_expected_counts() -> None:
    reference, current = np.array([30, 50, 20, 7]), np.array([400, 380, 150, 70])
    expected = stats.chisquare(current, reference * current.sum() / reference.sum())
    statistic, p_value = drift.chisquare_test(reference, current)
    assert statistic == pytest.approx(expected.statistic, abs=1e-9)
    assert p_value == pytest.approx(expected.pvalue, abs=1e-9)


def test_z_test_matches_the_pooled_two_proportion_test() -> None:
    z, p_value = drift.z_test([600, 400], [550, 450])
    p1, p2, pooled = 0.4, 0.45, 850 / 2000
    expected = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (1 / 1000 + 1 / 1000))
    assert z == pytest.approx(expected, abs=1e-12)
    assert p_value == pytest.approx(2 * stats.norm.sf(abs(expected)), abs=1e-9)
    assert drift.z_test([10, 0], [7, 0]) == (0.0, 1.0)  # one value everywhere: no drift


def test_wasserstein_and_jensen_shannon_equal_scipy_on_the_same_binning() -> None:
    rng = np.random.default_rng(1)
    edges = np.linspace(-4, 4, 41)
    centres = (edges[:-1] + edges[1:]) / 2
    reference = np.histogram(rng.normal(size=5000), edges)[0]
    current = np.histogram(rng.normal(0.5, 1.2, size=7000), edges)[0]
    assert drift.wasserstein(centres, reference, centres, current) == pytest.approx(
        stats.wasserstein_distance(centres, centres, reference, current), abs=1e-9)
    assert drift.jensen_shannon(reference, current) == pytest.approx(
        distance.jensenshannon(reference / reference.sum(), current / current.sum()), abs=1e-9)
    assert drift.jensen_shannon(reference, reference) == pytest.approx(0.0, abs=1e-9)


def test_psi_and_hellinger_follow_their_definitions() -> None:
    reference, current = np.array([50, 30, 20, 0]), np.array([40, 30, 20, 10])
    p = np.array([0.5, 0.3, 0.2, 1e-4])
    q = np.array([0.4, 0.3, 0.2, 0.1])
    assert drift.psi(reference, current) == pytest.approx(np.sum((p - q) * np.log(p / q)))
    h = np.sqrt(1 - np.sum(np.sqrt(reference / 100 * current / 100)))
    assert drift.hellinger(reference, current) == pytest.approx(h)


def test_the_default_test_follows_evidentlys_rule() -> None:
    assert drift.default_test(1000, numeric=True, distinct=6) == "ks"
    assert drift.default_test(1000, numeric=True, distinct=5) == "chisquare"
    assert drift.default_test(500, numeric=False, distinct=2) == "z"
    assert drift.default_test(1001, numeric=True, distinct=100) == "wasserstein"
    assert drift.default_test(1001, numeric=True, distinct=4) == "jensenshannon"
    assert drift.default_test(5000, numeric=False, distinct=30) == "jensenshannon"


def test_corrections() -> None:
    p = [0.01, 0.04, 0.03, 0.2]
    assert drift.corrected(p, "bonferroni") == pytest.approx([0.04, 0.16, 0.12, 0.8])
    assert drift.corrected(p, "bh") == pytest.approx([0.04, 0.0533333, 0.0533333, 0.2], rel=1e-5)
    assert drift.corrected(p, None) == p


def _checked(reference: np.ndarray, current: np.ndarray, test: str | None = None):  # type: ignore[no-untyped-def]
    """One numeric column through the profile code: reference profile, current profile
    on its edges, drift check."""
    import pandas as pd

    from assay.monitor.check import DriftSettings, check_drift
    from assay.monitor.profiling import current_profile, reference_profile

    profile = reference_profile(pd.DataFrame({"x": reference}))
    settings = DriftSettings(type_tests={"numeric": test} if test else {})
    return check_drift(profile, current_profile(pd.DataFrame({"x": current}), profile),
                       settings).columns[0]


def test_same_distribution_false_alarms_stay_below_the_nominal_rate() -> None:
    alarms = 0
    runs = 200
    for seed in range(runs):
        rng = np.random.default_rng(seed)
        column = _checked(rng.normal(size=500), rng.normal(size=800))
        assert column.test == "ks"  # Evidently's rule for a reference of 500 rows
        alarms += column.verdict == "drift"
    assert alarms / runs <= 0.05 + 2 * np.sqrt(0.05 * 0.95 / runs)  # nominal rate + 2 s.e.


def test_a_shift_of_a_fifth_of_a_standard_deviation_is_found_at_100k_rows() -> None:
    rng = np.random.default_rng(7)
    reference, same, shifted = (rng.normal(size=100_000), rng.normal(size=100_000),
                                rng.normal(0.2, size=100_000))
    calm, moved = _checked(reference, same), _checked(reference, shifted)
    assert calm.test == moved.test == "wasserstein"  # Evidently's rule past 1,000 rows
    assert calm.value < 0.1 and calm.verdict == "no drift"
    assert moved.value >= 0.1 * 1.5 and moved.verdict == "drift"


@pytest.mark.parametrize(("shift", "tolerance"), [(10.0, 1e-3), (-10.0, 1e-3), (3.0, 0.02)])
def test_wasserstein_matches_scipy_on_raw_values_when_the_current_data_leaves_the_range(
        shift: float, tolerance: float) -> None:
    # The current values past the reference's range sit at their own mean, not at the
    # reference's open-bin mean (which once made N(0,1) against N(10,1) 3.28, not 10).
    rng = np.random.default_rng(11)
    reference, current = rng.normal(size=5000), rng.normal(shift, 1.0, size=5000)
    expected = stats.wasserstein_distance(reference, current) / reference.std()
    assert _checked(reference, current, "wasserstein").value == pytest.approx(
        expected, rel=tolerance)


def _frame(rng: np.random.Generator, rows: int, shift: float = 0.0):  # type: ignore[no-untyped-def]
    import pandas as pd

    return pd.DataFrame({
        "x": rng.normal(shift, 1.0, rows),
        "y": rng.exponential(1.0 + shift, rows),
        "flag": rng.random(rows) < 0.3 + shift,
        "city": rng.choice(["a", "b", "c", "d"], rows,
                           p=[0.1, 0.2, 0.3, 0.4] if shift else [0.4, 0.3, 0.2, 0.1]),
    })


@pytest.mark.parametrize("rows", [800, 20_000])
def test_profiles_merged_from_partitions_give_the_same_check(rows: int) -> None:
    from assay.monitor.check import check_drift
    from assay.monitor.profiling import current_profile, merged, reference_profile

    rng = np.random.default_rng(3)
    reference = reference_profile(_frame(rng, rows))
    current = _frame(rng, 3 * rows, shift=0.3)
    whole = check_drift(reference, current_profile(current, reference))
    parts = merged(current_profile(current.iloc[i::3], reference) for i in range(3))
    split = check_drift(reference, parts)
    assert [c.verdict for c in whole.columns] == [c.verdict for c in split.columns]
    assert [c.test for c in whole.columns] == (
        ["ks", "ks", "z", "chisquare"] if rows <= 1000 else
        ["wasserstein", "wasserstein", "jensenshannon", "jensenshannon"])
    assert whole.drifted and all(c.verdict == "drift" for c in whole.columns)
    same = check_drift(reference, current_profile(_frame(rng, rows), reference))
    assert not same.drifted


def test_too_few_rows_is_insufficient_data_not_a_verdict() -> None:
    from assay.monitor.check import INSUFFICIENT, DriftSettings, check_drift
    from assay.monitor.profiling import current_profile, reference_profile

    rng = np.random.default_rng(4)
    reference = reference_profile(_frame(rng, 500))
    result = check_drift(reference, current_profile(_frame(rng, 10), reference),
                         DriftSettings(min_rows=30))
    assert {c.verdict for c in result.columns} == {INSUFFICIENT} and not result.drifted


def test_a_table_has_as_many_rows_as_it_has_rows_not_values() -> None:
    import pandas as pd

    from assay.monitor.profiling import current_profile, reference_profile, table_rows

    rng = np.random.default_rng(2)
    frame = _frame(rng, 1000)
    holes = frame.astype(object)
    for index, name in enumerate(holes.columns):  # every column misses some values
        holes.loc[index::4, name] = None
    holes["x"], holes["y"] = holes["x"].astype(float), holes["y"].astype(float)
    reference = reference_profile(frame)
    assert table_rows(reference) == 1000
    assert table_rows(current_profile(pd.DataFrame(holes), reference)) == 1000


def test_quality_from_merged_pieces_matches_scikit_learn() -> None:
    from sklearn.metrics import mean_absolute_error, r2_score, roc_auc_score

    from assay.monitor.performance import Quality, drops

    rng = np.random.default_rng(5)
    labels = rng.integers(0, 2, 20_000)
    scores = np.clip(labels * 0.3 + rng.random(20_000) * 0.7, 0, 1)
    whole, parts = Quality("classification"), [Quality("classification") for _ in range(4)]
    whole.add(labels, (scores > 0.5).astype(int), scores)
    for part, rows in zip(parts, np.array_split(np.arange(20_000), 4), strict=True):
        part.add(labels[rows], (scores[rows] > 0.5).astype(int), scores[rows])
    for other in parts[1:]:
        parts[0].merge(other)
    assert parts[0].metrics() == whole.metrics()
    assert whole.metrics()["roc_auc"] == pytest.approx(roc_auc_score(labels, scores), abs=1e-3)
    values, predicted = rng.normal(size=5000), rng.normal(size=5000)
    regression = Quality("regression")
    regression.add(values, predicted, None)
    assert regression.metrics()["mae"] == pytest.approx(mean_absolute_error(values, predicted))
    assert regression.metrics()["r2"] == pytest.approx(r2_score(values, predicted))
    assert drops({"roc_auc": 0.9, "rmse": 1.0}, {"roc_auc": 0.85, "rmse": 1.2}) == pytest.approx(
        {"roc_auc_drop": 0.05, "rmse_drop": 0.2})


def test_only_metrics_measured_on_current_data_have_a_drop() -> None:
    from assay.monitor.performance import MEASURED, Quality, drop_names

    rng = np.random.default_rng(5)
    labels = rng.integers(0, 2, 1000)
    classification, regression = Quality("classification"), Quality("regression")
    classification.add(labels, labels, rng.random(1000))
    regression.add(rng.normal(size=1000), rng.normal(size=1000), None)
    assert set(classification.metrics()) == set(MEASURED["classification"])
    assert set(regression.metrics()) == set(MEASURED["regression"])
    recorded = {"accuracy": 0.9, "roc_auc": 0.95, "f1": 0.9, "log_loss": 0.2, "rmse": 1.0}
    assert drop_names("classification", recorded) == {"accuracy_drop", "roc_auc_drop"}
    assert drop_names("regression", recorded) == {"rmse_drop"}


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_a_reference_profiled_a_row_group_at_a_time_gives_the_same_verdicts(
        tmp_path: Path, suffix: str) -> None:
    from assay.monitor.check import check_drift
    from assay.monitor.current import profile_on_dask
    from assay.monitor.profiling import reference_from_file, reference_profile

    rng = np.random.default_rng(9)
    reference = _frame(rng, 30_000)
    if suffix == ".csv":
        reference.to_csv(tmp_path / "reference.csv", index=False)
    else:
        reference.to_parquet(tmp_path / "reference.parquet", row_group_size=4_000)
    _frame(rng, 30_000, shift=0.3).to_parquet(tmp_path / "current.parquet", row_group_size=7_000)
    streamed = reference_from_file(tmp_path / f"reference{suffix}")
    in_memory = reference_profile(reference)
    results = [check_drift(ref, profile_on_dask(tmp_path / "current.parquet", ref)[0])
               for ref in (streamed, in_memory)]
    streamed_columns, memory_columns = ({c.column: c for c in r.columns} for r in results)
    assert list(streamed_columns) == list(memory_columns) == ["x", "y", "flag", "city"]
    for name, column in streamed_columns.items():
        assert column.verdict == memory_columns[name].verdict == "drift"
        assert column.value == pytest.approx(memory_columns[name].value, rel=0.02)
    assert streamed["city"].counts == in_memory["city"].counts  # type: ignore[union-attr]


def test_the_shipped_config_repeats_the_code_defaults() -> None:
    # The code's defaults are one constant each; only the YAML has to be kept in step.
    from pathlib import Path

    from assay.config.compose import compose
    from assay.config.project import locate_project
    from assay.config.schema import DRIFT_SHARE, MIN_ROWS

    cfg = compose(locate_project(Path(__file__).resolve().parents[2]), [])
    assert (cfg.monitor.drift_share, cfg.monitor.min_rows) == (DRIFT_SHARE, MIN_ROWS)


def test_a_numeric_test_on_a_categorical_column_names_the_key_to_fix() -> None:
    from assay.errors import ConfigError
    from assay.monitor.check import DriftSettings, check_drift
    from assay.monitor.profiling import current_profile, reference_profile

    rng = np.random.default_rng(6)
    reference = reference_profile(_frame(rng, 500))
    current = current_profile(_frame(rng, 500), reference)
    # (monitor.tests.categorical=ks is refused by validate_config before any data is read)
    with pytest.raises(ConfigError) as raised:
        check_drift(reference, current, DriftSettings(column_tests={"city": "ks"}))
    assert raised.value.problems[0].key == "monitor.columns.city.test"


def test_a_corrected_p_value_gets_its_verdict_from_the_corrected_value() -> None:
    from assay.monitor.check import DriftSettings, check_drift
    from assay.monitor.profiling import current_profile, reference_profile

    rng = np.random.default_rng(8)
    reference = reference_profile(_frame(rng, 500))
    current = current_profile(_frame(rng, 500, shift=0.05), reference)
    plain = {c.column: c for c in check_drift(reference, current).columns}
    corrected = check_drift(reference, current, DriftSettings(correction="bonferroni"))
    for column in corrected.columns:
        assert column.value == pytest.approx(min(plain[column.column].value * 4, 1.0))
        assert column.verdict == ("drift" if column.value < 0.05 else "no drift")


def test_pieces_skip_empty_row_groups_and_unreadable_data_is_a_data_error(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from assay.errors import DataError
    from assay.monitor.reading import pieces

    with pq.ParquetWriter(tmp_path / "gaps.parquet", pa.schema([("x", pa.float64())])) as writer:
        for values in ([1.0, 2.0], [], [3.0]):  # a writer flushing nothing leaves a 0-row group
            writer.write_table(pa.table({"x": pa.array(values, pa.float64())}))
    assert [p.group for p in pieces(tmp_path / "gaps.parquet", "monitor.current")] == [0, 2]
    (tmp_path / "notes.txt").write_text("not a table")
    (tmp_path / "empty").mkdir()
    with pq.ParquetWriter(tmp_path / "nothing.parquet", pa.schema([("x", pa.float64())])):
        pass  # a file with a schema and no rows
    for path, message in (("notes.txt", "cannot read the file as Parquet"),
                          ("empty", "holds no Parquet files"), ("nothing.parquet", "no rows")):
        with pytest.raises(DataError, match=message):
            pieces(tmp_path / path, "monitor.current")
