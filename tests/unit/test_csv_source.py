"""The CSV data source refuses a damaged file with its line, and reads a good one as pandas
would."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assay.errors import ConfigError, DataError
from assay.monitor.csv_checks import check_csv, record_lines
from assay.steps.sources import CsvFile, DataFile, settled_task

GOOD = "a,b,y\n" + "".join(f"{i},{i * 0.5},{i % 2}\n" for i in range(10))


def _write(tmp_path: Path, text: str | bytes, name: str = "data.csv") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def _refused(path: Path, **fields: object) -> str:
    with pytest.raises(DataError) as caught:
        CsvFile(str(path), "y", **fields).load()  # type: ignore[arg-type]
    return str(caught.value)


def test_a_good_file_is_read_as_it_is(tmp_path: Path) -> None:
    data = CsvFile(str(_write(tmp_path, GOOD)), "y").load()
    assert list(data.frame.columns) == ["a", "b", "y"] and len(data.frame) == 10
    assert data.frame["b"].dtype == float and data.task == "classification"


def test_repeated_header_names_are_refused_not_renamed(tmp_path: Path) -> None:
    message = _refused(_write(tmp_path, "a,b,a,y\n1,2,3,0\n4,5,6,1\n"))
    assert "data.csv:1, key 'path': the header names a column more than once: 'a' is column 1 " \
        "and 3" in message
    assert "a.1" not in message


def test_a_number_column_with_a_few_words_is_reported_with_lines(tmp_path: Path) -> None:
    rows = [f"{i},{i},{i % 2}" for i in range(12)]
    rows[3], rows[8] = "3,abc,1", "8,?,0"  # data rows 3 and 8: lines 5 and 10
    message = _refused(_write(tmp_path, "a,b,y\n" + "\n".join(rows) + "\n"))
    assert ("data.csv:5, key 'path': column 'b' holds numbers, and 2 values that are not: "
            "'abc' (line 5), '?' (line 10)") in message
    assert "data.categorical=[b]" in message and "data.coerce=[b]" in message


def test_many_bad_values_are_counted_and_the_first_shown(tmp_path: Path) -> None:
    rows = [f"{i},{'x' if i % 4 == 0 else i},{i % 2}" for i in range(40)]
    message = _refused(_write(tmp_path, "a,b,y\n" + "\n".join(rows) + "\n"))
    assert "10 values that are not: 'x' (line 2), 'x' (line 6)" in message
    assert message.count("'x' (line") == 5 and ", ..." in message


def test_a_text_column_is_not_mistaken_for_numbers(tmp_path: Path) -> None:
    rows = [f"{i},{'1' if i == 0 else 'red'},{i % 2}" for i in range(10)]
    data = CsvFile(str(_write(tmp_path, "a,color,y\n" + "\n".join(rows) + "\n")), "y").load()
    assert list(data.frame["color"])[:2] == ["1", "red"]


def test_categorical_keeps_the_words_and_coerce_makes_them_missing(tmp_path: Path) -> None:
    path = _write(tmp_path, "a,b,y\n1,2,0\n2,abc,1\n3,4,0\n4,5,1\n")
    kept = CsvFile(str(path), "y", categorical=["b"]).load().frame["b"]
    assert list(kept) == ["2", "abc", "4", "5"]
    coerced = CsvFile(str(path), "y", coerce=["b"]).load().frame["b"]
    assert coerced.dtype == float and coerced.isna().sum() == 1 and coerced.sum() == 11


def test_listed_columns_must_exist_and_not_be_in_both_lists(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD)
    with pytest.raises(ConfigError, match=re.escape("key 'coerce': 'bb' is not a column of "
                                                    "the file")):
        CsvFile(str(path), "y", coerce=["bb"]).load()
    with pytest.raises(ConfigError, match="both categorical and coerced to numbers: b"):
        CsvFile(str(path), "y", categorical=["b"], coerce=["b"]).load()


def test_a_byte_that_is_not_utf8_is_located(tmp_path: Path) -> None:
    message = _refused(_write(tmp_path, b"a,b,y\n1,2,0\n3,caf\xe9,1\n"))
    assert "data.csv:3, key 'path': byte 0xe9 on line 3, column 6 is not UTF-8 text" in message
    assert "Latin-1" in message


def test_a_folder_is_not_a_csv_file(tmp_path: Path) -> None:
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    assert "the path is a folder, not a CSV file" in _refused(folder)


@pytest.mark.parametrize(("text", "expected"), [
    ("a,b,y\n1,2,0\n3,4,1,9\n5,6,0\n", "data.csv:3, key 'path': line 3 has 4 fields, the header "
                                         "has 3"),
    ("a,b,y\n1,2,0\n\n3,4\n5,6,0\n", "data.csv:4, key 'path': line 4 has 2 fields, the header "
                                      "has 3"),
    ("a,b,y\n1,2,0\n3,\"4,1\n5,6,0\n", "data.csv:3, key 'path': the quote opened on line 3, "
                                        "column 3 is never closed"),
    ("a,b,y\n1,2,0\n3,4,\"1\n", "data.csv:3, key 'path': the quote opened on line 3, column 5 "
                                "is never closed"),
    ('a,b,y\n1,"x""y",0\n3,"a""b,1\n', "data.csv:3, key 'path': the quote opened on line 3, "
                                        "column 3 is never closed"),
])
def test_rows_of_the_wrong_shape_are_refused_with_their_line(tmp_path: Path, text: str,
                                                             expected: str) -> None:
    assert expected in _refused(_write(tmp_path, text))


def test_quoted_values_may_hold_separators_and_newlines(tmp_path: Path) -> None:
    path = _write(tmp_path, 'a,note,y\n1,"one, two",0\n2,"three\nlines ""quoted""",1\n3,x,0\n')
    assert check_csv(path, "path") == ("a", "note", "y")
    assert record_lines(path, ",", [0, 1, 2]) == {0: 2, 1: 3, 2: 5}
    frame = CsvFile(str(path), "y").load().frame
    assert frame["note"][1] == 'three\nlines "quoted"'


def test_an_empty_file_says_so(tmp_path: Path) -> None:
    assert "cannot read the file as CSV: it is empty" in _refused(_write(tmp_path, ""))


def test_data_file_checks_csv_files_too(tmp_path: Path) -> None:
    path = _write(tmp_path, "a,a,y\n1,2,0\n")
    with pytest.raises(DataError, match="names a column more than once"):
        DataFile(str(path), "y").load()


@pytest.mark.parametrize(("values", "task"), [
    (["a", "b", "a"], "classification"),
    ([True, False, True], "classification"),
    ([0.5, 1.25, 3.0], "regression"),
    ([0, 1, 1, 0], "classification"),
])
def test_auto_settles_the_task_from_the_target(values: list[object], task: str) -> None:
    import pandas as pd

    assert settled_task("auto", pd.DataFrame({"t": values}), "t", "f.csv") == task


def test_auto_refuses_to_guess_between_classes_and_counts() -> None:
    import pandas as pd

    frame = pd.DataFrame({"t": [0, 3, 1, 7, 2]})
    with pytest.raises(DataError, match=re.escape("set data.task=classification or "
                                                  "data.task=regression")):
        settled_task("auto", frame, "t", "f.csv")
    assert settled_task("regression", frame, "t", "f.csv") == "regression"


def test_another_separator_is_checked_the_same_way(tmp_path: Path) -> None:
    path = _write(tmp_path, "a;b;y\n1;2;0\n3;4;1;5\n")
    assert "line 3 has 4 fields, the header has 3" in _refused(path, sep=";")
    assert len(CsvFile(str(_write(tmp_path, "a;b;y\n1;2;0\n3;4;1\n")), "y", sep=";").load().frame) == 2


def test_a_regular_expression_separator_is_left_to_pandas(tmp_path: Path) -> None:
    path = _write(tmp_path, "a  b  y\n1  2  0\n3   4 1\n")
    assert list(CsvFile(str(path), "y", sep=r"\s+").load().frame.columns) == ["a", "b", "y"]


@pytest.mark.parametrize("suffix", [".gz", ".bz2", ".xz"])
def test_a_compressed_file_is_checked_through_its_compression(tmp_path: Path, suffix: str) -> None:
    import importlib

    module = importlib.import_module({".gz": "gzip", ".bz2": "bz2", ".xz": "lzma"}[suffix])
    good, bad = tmp_path / f"good.csv{suffix}", tmp_path / f"bad.csv{suffix}"
    good.write_bytes(module.compress(GOOD.encode()))
    bad.write_bytes(module.compress(b"a,b,y\n1,2,0\n3,4\n"))
    assert len(CsvFile(str(good), "y").load().frame) == 10
    assert "line 3 has 2 fields, the header has 3" in _refused(bad)


def test_a_file_that_is_not_what_its_suffix_says_is_refused(tmp_path: Path) -> None:
    import pandas as pd

    fake = _write(tmp_path, b"not gzip at all", "data.csv.gz")
    assert "cannot read the file as CSV" in _refused(fake)
    parquet = tmp_path / "table.csv"
    pd.DataFrame({"a": [1], "y": [0]}).to_parquet(parquet)
    message = _refused(parquet)
    assert "this is a Parquet file, not a CSV file" in message and "data=parquet" in message


def test_empty_header_names_are_not_repeated_names(tmp_path: Path) -> None:
    path = _write(tmp_path, "a,,y,\n1,2,0,\n3,4,1,\n")
    assert check_csv(path, "path") == ("a", "", "y", "")


def test_a_value_too_long_for_the_csv_module_leaves_rows_unnumbered(tmp_path: Path) -> None:
    long = "x" * 200_000  # over the csv module's field size limit
    path = _write(tmp_path, f"a,note,y\n1,{long},0\n2,short,1\n")
    assert record_lines(path, ",", [1]) == {}
    rows = ["1,1,0", "2,2,1", "3,?,0", "4,4,1", "5,5,0", "6,6,1", f'7,"{long}",1']
    message = _refused(_write(tmp_path, "a,b,y\n" + "\n".join(rows) + "\n"))
    assert ("column 'b' holds numbers, and 2 values that are not: '?' (line 4), "
            f"'{'x' * 37}...' (row 6)") in message
