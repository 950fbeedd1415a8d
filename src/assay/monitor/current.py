"""Profiling current data partition by partition on Dask, merging as it goes.

A Parquet file or folder is cut at row groups, a CSV file read in chunks
(:mod:`assay.monitor.reading`); each piece is profiled on the reference's bin edges by
a Dask task (scored by the model first, when one is given) and the partial profiles are
merged pairwise on the workers, so no process holds more than a few pieces and their
profiles: data larger than memory is checked in bounded memory.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from assay.config.project import display_path
from assay.errors import DataError, Problem
from assay.monitor.csv_checks import SHOWN_VALUES, bad_numbers, bad_numbers_problem, record_lines
from assay.monitor.performance import Quality
from assay.monitor.profile import ColumnProfile, NumericProfile
from assay.monitor.profiling import Profiles, current_profile, merged
from assay.monitor.reading import Piece, frames, pieces
from assay.monitor.scoring import Scorer, prediction_frame

CURRENT_SAMPLE = 20_000
"""Raw values a current profile keeps per numeric column (for Kolmogorov-Smirnov)."""

Partial = tuple[Profiles, Quality | None]
"""What a task returns: the profiles of its rows, and the model's quality on them."""


def profile_piece(piece: Piece, reference: Mapping[str, ColumnProfile],
                  scorer: Scorer | None = None) -> Partial:
    """The profile of one piece (a row group, or a CSV file read in chunks), with the
    model's predictions as one more column and their quality when labels are present."""
    wanted = set(reference) | ({scorer.target, *scorer.features} if scorer else set())
    return _merge_partials([_profiled(frame, reference, scorer, piece)
                            for frame in frames([piece], wanted)])


def _profiled(frame: Any, reference: Mapping[str, ColumnProfile],
              scorer: Scorer | None, piece: Piece) -> Partial:
    _check_numbers(frame, reference, piece)
    scored, quality = prediction_frame(frame, scorer)
    return current_profile(scored, reference, sample=CURRENT_SAMPLE), quality


def _merge_partials(parts: list[Partial]) -> Partial:
    profiles = merged(p for p, _ in parts)
    qualities = [q for _, q in parts if q is not None]
    for other in qualities[1:]:
        qualities[0].merge(other)
    return profiles, (qualities[0] if qualities else None)


def _merge_two(left: Partial, right: Partial) -> Partial:
    return _merge_partials([left, right])


def profile_on_dask(path: Path, reference: Mapping[str, ColumnProfile], client: Any = None,
                    scheduler: str = "threads",
                    scorer: Scorer | None = None) -> tuple[Profiles, Quality | None, int]:
    """The merged profile of everything at ``path``, the model's quality on it (when it
    has labels and a ``scorer`` is given), and how many pieces it was cut into.

    ``client`` is a ``distributed`` client to run on; without one, Dask's ``scheduler``.

    Raises:
        DataError: when the data cannot be read, has no rows, or lacks a column the
            model needs (found before any task runs).
    """
    from dask.base import compute
    from dask.delayed import delayed

    found = pieces(path, "monitor.current")
    if scorer is not None:
        _check_features(found, scorer)
    # One graph node each, which every task depends on: embedded in each task instead,
    # the reference (with its samples) would be hashed and shipped once per piece.
    shared_reference = delayed(reference, pure=True, traverse=False)
    shared_scorer = None if scorer is None else delayed(scorer, pure=True, traverse=False)
    level = [delayed(profile_piece)(piece, shared_reference, shared_scorer) for piece in found]
    while len(level) > 1:  # a merge tree: every merge runs on a worker, two inputs at a time
        level = [delayed(_merge_two)(*level[i:i + 2]) if i + 1 < len(level) else level[i]
                 for i in range(0, len(level), 2)]
    if client is not None:
        profiles, quality = client.compute(level[0]).result()
    else:
        ((profiles, quality),) = compute(level[0], scheduler=scheduler)  # type: ignore[no-untyped-call]
    return profiles, quality, len(found)


def _check_features(found: list[Piece], scorer: Scorer) -> None:
    """Every file has the model's feature columns (else each task would fail on a worker)."""
    for piece in found:
        missing = [f for f in scorer.features if f not in piece.columns]
        if missing:
            raise DataError(Problem(
                "the current data lacks the model's feature column(s) "
                + ", ".join(f"'{m}'" for m in missing), file=display_path(piece.file),
                key="monitor.current", expected="every column the model was trained on"))


def _check_numbers(frame: Any, reference: Mapping[str, ColumnProfile], piece: Piece) -> None:
    """Every column that holds numbers in the reference holds numbers here (or nothing).

    Raises:
        DataError: naming each column with values that are not numbers, the first of them
            and their lines (CSV) or rows (Parquet row group).
    """
    import pandas as pd

    problems = []
    for name, shape in reference.items():
        if not isinstance(shape, NumericProfile) or name not in frame.columns:
            continue
        values = frame[name]
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            continue
        bad = bad_numbers(values)
        if not len(bad):
            continue
        lines = (record_lines(Path(piece.file), ",", list(bad.index[:SHOWN_VALUES]))
                 if piece.group is None else None)
        where = display_path(piece.file) + ("" if piece.group is None
                                             else f" (row group {piece.group})")
        problems.append(bad_numbers_problem(
            where, name, bad, lines, "monitor.current",
            "the reference holds numbers in this column: fix those values in the data"))
    if problems:
        raise DataError(problems)
