"""A drift check reads only data that is what it says: damaged CSV files are refused with
their line, and a column the current data lacks is reported as missing."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from assay.errors import DataError
from assay.monitor.check import MISSING, DriftSettings, check_drift
from assay.monitor.current import profile_on_dask
from assay.monitor.profiling import reference_from_file, reference_profile
from assay.monitor.reading import pieces


def _reference(rows: int = 200) -> dict:  # type: ignore[type-arg]
    rng = np.random.default_rng(0)
    return reference_profile(pd.DataFrame({"a": rng.normal(size=rows),
                                           "b": rng.normal(size=rows),
                                           "color": rng.choice(["r", "g"], size=rows)}))


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "current.csv"
    path.write_text(text)
    return path


GOOD_ROWS = "".join(f"{i * 0.1},{i % 7},{'rg'[i % 2]}\n" for i in range(60))


@pytest.mark.parametrize(("text", "expected"), [
    ('a,b,color\n1,2,r\n"3,4,g\n5,6,r\n',
     "current.csv:3, key 'monitor.current': the quote opened on line 3, column 1 is never "
     "closed"),
    ("a,b,color\n1,2,r\n3,4,g,extra\n",
     "current.csv:3, key 'monitor.current': line 3 has 4 fields, the header has 3"),
    ("a,b,color\n1,2,r\n3,4\n",
     "current.csv:3, key 'monitor.current': line 3 has 2 fields, the header has 3"),
    ("a,b,a\n1,2,3\n",
     "current.csv:1, key 'monitor.current': the header names a column more than once"),
])
def test_a_damaged_csv_file_is_refused_before_any_task(tmp_path: Path, text: str,
                                                       expected: str) -> None:
    with pytest.raises(DataError) as caught:
        pieces(_csv(tmp_path, text), "monitor.current")
    assert expected in str(caught.value)


def test_a_damaged_reference_file_names_its_setting(tmp_path: Path) -> None:
    path = _csv(tmp_path, "a,b\n1,2\n3\n")
    with pytest.raises(DataError, match=re.escape("key 'monitor.reference': line 3 has 1 "
                                                  "field, the header has 2")):
        reference_from_file(path)


def test_a_word_in_a_number_column_is_located(tmp_path: Path) -> None:
    rows = GOOD_ROWS.splitlines()
    rows[40] = "oops,1,r"  # data row 40: line 42
    path = _csv(tmp_path, "a,b,color\n" + "\n".join(rows) + "\n")
    with pytest.raises(DataError) as caught:
        profile_on_dask(path, _reference(), scheduler="sync")
    assert ("current.csv:42, key 'monitor.current': column 'a' holds numbers, and 1 value that "
            "is not: 'oops' (line 42)") in str(caught.value)


def test_a_word_in_a_parquet_number_column_names_its_row(tmp_path: Path) -> None:
    path = tmp_path / "current.parquet"
    frame = pd.DataFrame({"a": ["1.0", "x", "2.0"], "b": [1.0, 2.0, 3.0], "color": ["r"] * 3})
    frame.to_parquet(path)
    with pytest.raises(DataError, match=r"current.parquet \(row group 0\), key "
                                        r"'monitor.current': column 'a' holds numbers, and 1 "
                                        r"value that is not: 'x' \(row 1\)"):
        profile_on_dask(path, _reference(), scheduler="sync")


def test_a_good_csv_file_profiles_every_row(tmp_path: Path) -> None:
    path = _csv(tmp_path, "a,b,color\n" + GOOD_ROWS)
    profiles, _, count = profile_on_dask(path, _reference(), scheduler="sync")
    assert count == 1 and profiles["a"].rows == 60 and profiles["color"].rows == 60


def _current_without_b(tmp_path: Path) -> dict:  # type: ignore[type-arg]
    path = tmp_path / "current.parquet"
    rng = np.random.default_rng(1)
    pd.DataFrame({"a": rng.normal(size=200), "color": rng.choice(["r", "g"], size=200)}
                 ).to_parquet(path)
    profiles, _, _ = profile_on_dask(path, _reference(), scheduler="sync")
    return profiles


def test_a_missing_column_is_reported_and_counts_as_drifted(tmp_path: Path) -> None:
    result = check_drift(_reference(), _current_without_b(tmp_path))
    by_column = {c.column: c for c in result.columns}
    assert by_column["b"].verdict == MISSING and by_column["b"].current_rows == 0
    assert by_column["b"].test == "ks" and by_column["b"].value is None
    assert result.missing == ("b",) and len(result.tested) == 3
    assert result.drift_share == pytest.approx(1 / 3)
    assert [c.column for c in result.drifted_columns] == ["b"]
    assert result.to_json()["missing_columns"] == ["b"]


def test_a_missing_column_can_be_listed_without_counting(tmp_path: Path) -> None:
    result = check_drift(_reference(), _current_without_b(tmp_path),
                         DriftSettings(missing_columns="ignore", drift_share=0.3))
    assert result.missing == ("b",) and len(result.tested) == 2
    assert result.drift_share == 0.0 and not result.drifted


def test_a_missing_column_decides_the_verdict_when_it_reaches_the_share(tmp_path: Path) -> None:
    result = check_drift(_reference(), _current_without_b(tmp_path), DriftSettings(drift_share=0.3))
    assert result.drifted


def test_optional_columns_such_as_labels_may_be_absent(tmp_path: Path) -> None:
    result = check_drift(_reference(), _current_without_b(tmp_path),
                         DriftSettings(optional=frozenset({"b"})))
    assert "b" not in {c.column for c in result.columns} and result.missing == ()


def test_a_reference_number_column_with_a_few_words_is_refused(tmp_path: Path) -> None:
    rows = GOOD_ROWS.splitlines()
    rows[10] = "n.a.,3,g"  # data row 10: line 12
    path = tmp_path / "reference.csv"
    path.write_text("a,b,color\n" + "\n".join(rows) + "\n")
    with pytest.raises(DataError, match=re.escape(
            "reference.csv:12, key 'monitor.reference': column 'a' holds numbers, and 1 value "
            "that is not: 'n.a.' (line 12)")):
        reference_from_file(path)
    path.write_text("a,b,color\n" + GOOD_ROWS)
    assert reference_from_file(path)["a"].rows == 60
