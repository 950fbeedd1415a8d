"""Checking a dataset before anything is fitted on it."""

from __future__ import annotations

from typing import Annotated

from assay.artifacts import Dataset
from assay.catalog import Interval, step
from assay.errors import DataError, Problem, did_you_mean


@step(outputs={"data": Dataset})
def validate_dataset(
    data: Dataset,
    *,
    min_rows: Annotated[int, Interval(1, None)] = 1,
    required_columns: list[str] | None = None,
    max_missing_target: Annotated[float, Interval(0, 1)] = 0.0,
) -> Dataset:
    """Checks the schema: columns present, target present and usable, rows, dtypes.

    Every problem found is reported at once.
    """
    frame = data.frame
    problems = []
    columns = [str(c) for c in frame.columns]
    for column in required_columns or []:
        if column not in columns:
            problems.append(
                Problem(f"required column '{column}' is missing", file=data.name,
                        key="required_columns", hint=did_you_mean(column, columns))
            )
    if len(frame) < min_rows:
        problems.append(
            Problem(
                f"the dataset has {len(frame)} rows",
                file=data.name,
                key="min_rows",
                expected=f"at least {min_rows} row{'s' if min_rows != 1 else ''}",
                hint="check the data source: the file may hold only a header",
            )
        )
    if data.target not in columns:
        problems.append(Problem(f"target column '{data.target}' is missing", file=data.name,
                                key="target", hint=did_you_mean(data.target, columns)))
    elif len(frame):
        problems.extend(_check_target(data, max_missing_target))
    problems.extend(_check_dtypes(data))
    if problems:
        raise DataError(problems)
    return data


def _check_target(data: Dataset, max_missing: float) -> list[Problem]:
    import pandas as pd

    labels = data.labels
    problems = []
    missing = float(labels.isna().mean())
    if missing > max_missing:
        problems.append(
            Problem(
                f"{missing:.1%} of the target column '{data.target}' is missing",
                file=data.name,
                key="target",
                expected=f"at most {max_missing:.1%} missing",
            )
        )
    if data.task == "regression" and not pd.api.types.is_numeric_dtype(labels):
        problems.append(
            Problem(
                f"the target '{data.target}' of a regression task is not numeric",
                file=data.name,
                key="task",
                got=str(labels.dtype),
                hint="use task=classification for a categorical target",
            )
        )
    if data.task == "classification" and labels.nunique(dropna=True) < 2:
        problems.append(
            Problem(
                f"the target '{data.target}' has fewer than 2 classes",
                file=data.name,
                key="target",
                expected="at least two distinct labels",
            )
        )
    return problems


def _check_dtypes(data: Dataset) -> list[Problem]:
    import pandas as pd

    problems = []
    for column in data.features.columns:
        dtype = data.frame[column].dtype
        if pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype):
            problems.append(
                Problem(
                    f"column '{column}' holds dates ({dtype}), which models cannot use directly",
                    file=data.name,
                    key=str(column),
                    expected="numeric, boolean, string or categorical columns",
                    hint="derive numeric features from it, or drop it from the data",
                )
            )
    return problems
