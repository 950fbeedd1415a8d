"""Data sources: what the ``data`` config group's ``_target_`` names.

A source is any object with a ``load()`` method returning a
:class:`~assay.artifacts.Dataset` (or a pandas DataFrame, when the source has
``target`` and ``task`` attributes). Every check that needs the data itself
(readable file, target column present) raises :class:`~assay.errors.DataError`
naming the file and the key to fix.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assay.artifacts import TASKS, Dataset
from assay.catalog import FilePath
from assay.config.project import display_path
from assay.errors import ConfigError, DataError, Problem, did_you_mean, one_of
from assay.monitor.csv_checks import (
    SHOWN_VALUES,
    bad_numbers,
    bad_numbers_problem,
    check_csv,
    checkable,
    looks_numeric,
    record_lines,
)

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

AUTO = "auto"
"""A file source's task when the model decides it (the compiler fills it in), or else the
target column's values."""

BUILTIN_DATASETS: dict[str, str] = {
    "breast_cancer": "load_breast_cancer",
    "wine": "load_wine",
    "diabetes": "load_diabetes",
    "iris": "load_iris",
}


def _check_task(task: str, choices: Sequence[str] = TASKS) -> None:
    if task not in choices:
        raise ConfigError(
            Problem(
                f"unknown task '{task}'",
                key="task",
                expected=one_of(choices),
                hint=did_you_mean(task, choices),
            )
        )


def settled_task(task: str, frame: pd.DataFrame, target: str, file: str) -> str:
    """``task``, or for ``auto`` the task the target column's values show.

    Text, categories and booleans are classes; numbers with fractions are a quantity.
    Whole numbers could be either (class codes, or counts), so only two distinct values
    count as classes, and anything else is refused with the setting that decides it.

    Raises:
        DataError: when the target's values do not tell.
    """
    if task != AUTO or target not in frame.columns:
        return task
    import pandas as pd

    labels = frame[target].dropna()
    if not pd.api.types.is_numeric_dtype(labels) or pd.api.types.is_bool_dtype(labels):
        return "classification"
    if not (labels == labels.round()).all():
        return "regression"
    if labels.nunique() <= 2:
        return "classification"
    raise DataError(Problem(
        f"cannot tell whether the target '{target}' holds classes or a quantity: it has "
        f"{labels.nunique()} distinct whole numbers, and the model's kind is not known",
        file=file, key="task", expected="task: classification or regression",
        hint="set data.task=classification or data.task=regression"))


def with_target(frame: pd.DataFrame, target: str, task: str, name: str, file: str) -> Dataset:
    """Wraps ``frame`` as a Dataset after checking that ``target`` is one of its columns
    (and settling a task of ``auto`` from its values)."""
    if target not in frame.columns:
        columns = [str(c) for c in frame.columns]
        shown = columns if len(columns) <= 12 else [*columns[:12], "..."]
        raise DataError(
            Problem(
                f"target column '{target}' is not in the data",
                file=file,
                key="target",
                expected="one of the columns: " + ", ".join(shown),
                hint=did_you_mean(target, columns),
            )
        )
    task = settled_task(task, frame, target, file)
    return Dataset(frame=frame, target=target, task=task, name=name)  # type: ignore[arg-type]


@dataclass(frozen=True)
class SklearnDataset:
    """A toy dataset that ships inside scikit-learn (no download).

    Args:
        name: breast_cancer, wine, diabetes or iris.
        task: classification, regression or auto (the model's kind decides).
        target: Name of the target column.
    """

    name: str
    task: str = "classification"
    target: str = "target"

    def load(self) -> Dataset:
        """Loads the dataset as a frame."""
        _check_task(self.task, (*TASKS, AUTO))
        loader = BUILTIN_DATASETS.get(self.name)
        if loader is None:
            raise ConfigError(
                Problem(
                    f"unknown scikit-learn dataset '{self.name}'",
                    key="name",
                    expected=one_of(BUILTIN_DATASETS),
                    hint=did_you_mean(self.name, BUILTIN_DATASETS),
                )
            )
        import sklearn.datasets

        frame = getattr(sklearn.datasets, loader)(as_frame=True).frame
        return with_target(frame, self.target, self.task, self.name, f"sklearn:{self.name}")


@dataclass(frozen=True)
class SyntheticDataset:
    """Generated data: ``make_classification`` or ``make_regression``.

    Args:
        task: classification or regression.
        n_rows: Number of rows.
        n_features: Number of feature columns (``x0``, ``x1``, ...).
        n_informative: Features that carry signal.
        n_classes: Classes (classification only).
        noise: Standard deviation of the noise (regression only).
        seed: Random seed; equal parameters give equal data.
        target: Name of the target column.
    """

    task: str = "classification"
    n_rows: int = 10_000
    n_features: int = 20
    n_informative: int = 10
    n_classes: int = 2
    noise: float = 0.1
    seed: int = 0
    target: str = "target"

    def load(self) -> Dataset:
        """Generates the rows."""
        _check_task(self.task)
        import pandas as pd
        from sklearn.datasets import make_classification, make_regression

        try:
            if self.task == "classification":
                features, labels = make_classification(
                    n_samples=self.n_rows,
                    n_features=self.n_features,
                    n_informative=self.n_informative,
                    n_redundant=max(0, min(2, self.n_features - self.n_informative)),
                    n_classes=self.n_classes,
                    random_state=self.seed,
                )
            else:
                features, labels = make_regression(
                    n_samples=self.n_rows,
                    n_features=self.n_features,
                    n_informative=self.n_informative,
                    noise=self.noise,
                    random_state=self.seed,
                )
        except ValueError as error:
            raise ConfigError(
                Problem(f"cannot generate the synthetic data: {error}", key="n_informative")
            ) from error
        frame = pd.DataFrame(features, columns=[f"x{i}" for i in range(self.n_features)])
        frame[self.target] = labels
        return Dataset(frame, self.target, self.task, "synthetic")  # type: ignore[arg-type]


@dataclass(frozen=True)
class CsvFile:
    """A CSV file with a header row.

    The file is checked before its rows are used: a repeated header name, a row with
    more or fewer fields than the header, a quote never closed or a byte that is not
    UTF-8 is refused with its line, and so is a column of numbers holding a few values
    that are not numbers, unless ``categorical`` or ``coerce`` names it.

    Args:
        path: The file (relative to the directory assay runs in).
        target: Name of the target column.
        task: classification, regression, or auto (the model's kind decides; else the
            target's values).
        sep: Column separator.
        categorical: Columns read as text categories, whatever their values look like.
        coerce: Number columns whose values that are not numbers become missing values.
    """

    path: FilePath
    target: str
    task: str = AUTO
    sep: str = ","
    categorical: Sequence[str] = ()
    coerce: Sequence[str] = ()

    def load(self) -> Dataset:
        """Reads the file."""
        _check_task(self.task, (*TASKS, AUTO))
        import pandas as pd

        shown = display_path(self.path)
        if checkable(Path(self.path), self.sep):
            names = check_csv(Path(self.path), "path", self.sep)
        else:  # a regular-expression separator or an archive: only pandas reads it, unchecked
            names = tuple(map(str, _read(self.path, lambda p: pd.read_csv(
                p, sep=self.sep, nrows=0, engine="python"), "CSV").columns))
        categorical, coerce = self._listed(names)
        frame = _read(self.path, lambda p: pd.read_csv(
            p, sep=self.sep, dtype=dict.fromkeys(categorical, str)), "CSV")
        problems = [problem for column in frame.columns if column not in categorical
                    for problem in self._numbers(frame, str(column), column in coerce)]
        if problems:
            raise DataError(problems)
        return with_target(frame, self.target, self.task, shown, shown)

    def _listed(self, names: Sequence[str]) -> tuple[set[str], set[str]]:
        """``categorical`` and ``coerce``, each a column of the file, none in both."""
        problems = []
        for key in ("categorical", "coerce"):
            for column in getattr(self, key):
                if column not in names:
                    problems.append(Problem(
                        f"'{column}' is not a column of the file", file=display_path(self.path),
                        key=key, expected="one of the columns: " + ", ".join(names[:12]),
                        hint=did_you_mean(str(column), names)))
        both = sorted(set(self.categorical) & set(self.coerce))
        if both:
            problems.append(Problem(
                "columns cannot be both categorical and coerced to numbers: " + ", ".join(both),
                key="coerce", hint="keep each column in one of the two lists"))
        if problems:
            raise ConfigError(problems)
        return set(self.categorical), set(self.coerce)

    def _numbers(self, frame: pd.DataFrame, column: str, coerce: bool) -> list[Problem]:
        """Coerces ``column`` when asked; else a problem when it is numbers and a few words."""
        import pandas as pd

        values = frame[column]
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            return []
        bad = bad_numbers(values)
        if coerce:
            frame[column] = pd.to_numeric(values, errors="coerce")
            if len(bad):
                log.warning("%s: %d value(s) of column '%s' are not numbers and were read as "
                            "missing (data.coerce)", display_path(self.path), len(bad), column)
            return []
        if not len(bad) or not looks_numeric(values, bad):
            return []
        lines = (record_lines(Path(self.path), self.sep, list(bad.index[:SHOWN_VALUES]))
                 if checkable(Path(self.path), self.sep) else None)
        return [bad_numbers_problem(
            display_path(self.path), column, bad, lines, "path",
            f"fix those values, or set data.categorical=[{column}] to read the column as "
            f"categories, or data.coerce=[{column}] to read them as missing values")]


@dataclass(frozen=True)
class ParquetFile:
    """A Parquet file, or a folder of Parquet files read as one table.

    Args:
        path: The file or folder (relative to the directory assay runs in).
        target: Name of the target column.
        task: classification, regression, or auto (the model's kind decides; else the
            target's values).
    """

    path: FilePath
    target: str
    task: str = AUTO

    def load(self) -> Dataset:
        """Reads the file or folder."""
        _check_task(self.task, (*TASKS, AUTO))
        import pandas as pd

        frame = _read(self.path, pd.read_parquet, "Parquet")
        return with_target(frame, self.target, self.task, display_path(self.path),
                           display_path(self.path))


class DataFile(ParquetFile):
    """A CSV file, or a Parquet file or folder, told apart by the path.

    Its fields are :class:`ParquetFile`'s: path, target and task.
    """

    def load(self) -> Dataset:
        """Reads the file (``.csv`` as CSV, anything else as Parquet)."""
        if str(self.path).lower().endswith(".csv"):
            return CsvFile(self.path, self.target, self.task).load()
        return super().load()


def _read(path: str, reader: Any, kind: str) -> pd.DataFrame:
    try:
        frame = reader(path)
    except FileNotFoundError as error:
        raise DataError(Problem("data file not found", file=display_path(path), key="path")) from error
    except Exception as error:  # every reader failure means the same to the user: bad file
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise DataError(
            Problem(
                f"cannot read the file as {kind}: {first}",
                file=display_path(path),
                key="path",
                expected=f"a valid {kind} file",
            )
        ) from error
    return frame
