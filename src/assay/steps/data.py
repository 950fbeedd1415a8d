"""Loading and splitting datasets."""

from __future__ import annotations

from typing import Annotated, Any

from assay.artifacts import Dataset
from assay.catalog import Interval, Target, step
from assay.errors import DataError, Problem
from assay.steps.instantiate import build


@step(outputs={"data": Dataset})
def load_dataset(*, source: Target) -> Dataset:
    """Loads the data the ``source`` config describes (a data source ``_target_``)."""
    loaded = build(source, "source").load()
    if isinstance(loaded, Dataset):
        return loaded
    return _as_dataset(loaded, source)


def _as_dataset(frame: Any, source: Target) -> Dataset:
    """A user source may return a bare DataFrame; its config supplies target and task."""
    from assay.steps.sources import with_target

    target, task = source.get("target"), source.get("task", "classification")
    if not isinstance(target, str):
        raise DataError(
            Problem(
                "the source returned a table but its config names no target column",
                key="source.target",
                expected="a 'target' key in the data config",
            )
        )
    return with_target(frame, target, task, str(source["_target_"]), str(source["_target_"]))


@step(outputs={"train": Dataset, "test": Dataset})
def split_dataset(
    data: Dataset,
    *,
    test_size: Annotated[float, Interval(0, 1, closed="neither")] = 0.25,
    stratify: bool = True,
    seed: int = 0,
) -> dict[str, Dataset]:
    """Holds out ``test_size`` of the rows; stratified by the target for classification."""
    from sklearn.model_selection import train_test_split

    labels = data.labels if stratify and data.task == "classification" else None
    if labels is not None:
        counts = labels.value_counts()
        rare = counts[counts < 2]
        if len(rare):
            raise DataError(
                Problem(
                    f"cannot stratify: class {rare.index[0]!r} has only {int(rare.iloc[0])} row",
                    key="stratify",
                    expected="at least 2 rows per class",
                    hint="set split.stratify=false or add rows",
                )
            )
    try:
        train, test = train_test_split(
            data.frame, test_size=test_size, random_state=seed, stratify=labels
        )
    except ValueError as error:
        raise DataError(
            Problem(f"cannot split {len(data.frame)} rows: {error}", key="test_size")
        ) from error
    return {"train": data.with_frame(train), "test": data.with_frame(test)}


@step(outputs={"data": Dataset})
def concat_datasets(first: Dataset, second: Dataset) -> Dataset:
    """The rows of ``first`` then those of ``second`` (same columns, same target)."""
    import pandas as pd

    missing = sorted(set(first.frame.columns) ^ set(second.frame.columns))
    if missing or first.target != second.target:
        raise DataError(
            Problem(
                f"cannot append '{second.name}' to '{first.name}': their columns differ"
                + (f" ({', '.join(map(str, missing[:8]))})" if missing else "")
                + ("" if first.target == second.target else
                   f"; targets '{first.target}' and '{second.target}'"),
                key="second",
                expected="two tables with the same columns and target",
            )
        )
    frame = pd.concat([first.frame, second.frame[first.frame.columns]], ignore_index=True)
    return Dataset(frame=frame, target=first.target, task=first.task,
                   name=f"{first.name} + {second.name}")
