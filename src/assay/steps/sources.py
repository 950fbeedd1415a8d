"""Data sources: what the ``data`` config group's ``_target_`` names.

A source is any object with a ``load()`` method returning a
:class:`~assay.artifacts.Dataset` (or a pandas DataFrame, when the source has
``target`` and ``task`` attributes). Every check that needs the data itself
(readable file, target column present) raises :class:`~assay.errors.DataError`
naming the file and the key to fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assay.artifacts import TASKS, Dataset
from assay.catalog import FilePath
from assay.config.project import display_path
from assay.errors import ConfigError, DataError, Problem, did_you_mean, one_of

if TYPE_CHECKING:
    import pandas as pd

BUILTIN_DATASETS: dict[str, str] = {
    "breast_cancer": "load_breast_cancer",
    "wine": "load_wine",
    "diabetes": "load_diabetes",
    "iris": "load_iris",
}


def _check_task(task: str) -> None:
    if task not in TASKS:
        raise ConfigError(
            Problem(
                f"unknown task '{task}'",
                key="task",
                expected=one_of(TASKS),
                hint=did_you_mean(task, TASKS),
            )
        )


def with_target(frame: pd.DataFrame, target: str, task: str, name: str, file: str) -> Dataset:
    """Wraps ``frame`` as a Dataset after checking that ``target`` is one of its columns."""
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
    return Dataset(frame=frame, target=target, task=task, name=name)  # type: ignore[arg-type]


@dataclass(frozen=True)
class SklearnDataset:
    """A toy dataset that ships inside scikit-learn (no download).

    Args:
        name: breast_cancer, wine, diabetes or iris.
        task: classification or regression.
        target: Name of the target column.
    """

    name: str
    task: str = "classification"
    target: str = "target"

    def load(self) -> Dataset:
        """Loads the dataset as a frame."""
        _check_task(self.task)
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

    Args:
        path: The file (relative to the directory assay runs in).
        target: Name of the target column.
        task: classification or regression.
        sep: Column separator.
    """

    path: FilePath
    target: str
    task: str = "classification"
    sep: str = ","

    def load(self) -> Dataset:
        """Reads the file."""
        _check_task(self.task)
        import pandas as pd

        frame = _read(self.path, lambda p: pd.read_csv(p, sep=self.sep), "CSV")
        return with_target(frame, self.target, self.task, display_path(self.path),
                           display_path(self.path))


@dataclass(frozen=True)
class ParquetFile:
    """A Parquet file, or a folder of Parquet files read as one table.

    Args:
        path: The file or folder (relative to the directory assay runs in).
        target: Name of the target column.
        task: classification or regression.
    """

    path: FilePath
    target: str
    task: str = "classification"

    def load(self) -> Dataset:
        """Reads the file or folder."""
        _check_task(self.task)
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
