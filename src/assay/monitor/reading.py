"""Reading a table a piece at a time: Parquet row groups, or a CSV file in chunks.

Drift checks read their current data this way (and a reference given as a data file),
so no process holds more than one piece. Every file is opened here first (a Parquet
file's metadata; a CSV file is checked whole, :mod:`assay.monitor.csv_checks`), on the
calling process: a file that is not what it should be is a clean
:class:`~assay.errors.DataError` naming the file and line before any Dask task starts.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from assay.config.project import display_path
from assay.errors import DataError, Problem
from assay.monitor.csv_checks import (
    SHOWN_VALUES,
    bad_numbers,
    bad_numbers_problem,
    check_csv,
    looks_numeric,
    record_lines,
)

CSV_CHUNK_ROWS = 500_000
DATA_SUFFIXES = frozenset({".parquet", ".pq", ".csv"})
"""Suffixes that mark a setting's value as a data file rather than a model reference."""

_T = TypeVar("_T")


@dataclass(frozen=True)
class Piece:
    """One piece of a table and the columns its file has."""

    file: str
    group: int | None  # the Parquet row group; None: a whole CSV file, read in chunks
    columns: tuple[str, ...]


def pieces(path: Path, key: str) -> list[Piece]:
    """Every piece with rows at ``path``: a Parquet file or folder (searched recursively),
    or a CSV file. ``key`` is the setting that named it, for error messages.

    Raises:
        DataError: when a file cannot be read as Parquet (CSV), or nothing has rows.
    """
    files = sorted(p for p in path.rglob("*.parquet") if p.is_file()) if path.is_dir() else [path]
    if not files:
        raise DataError(Problem("the folder holds no Parquet files", file=display_path(path),
                                key=key, expected="*.parquet files (in it or its subfolders)"))
    found = [piece for file in files for piece in _file_pieces(file, key)]
    if not found:
        raise DataError(Problem("the data has no rows: every row group is empty",
                                file=display_path(path), key=key))
    return found


def frames(found: Iterable[Piece], columns: Collection[str] | None = None,
           numbers_key: str | None = None) -> Iterator[Any]:
    """The rows of ``found`` as DataFrames (one per row group, one per CSV chunk), with
    those of ``columns`` each file has (every column when None).

    With ``numbers_key`` (the setting that named the data), a CSV column of numbers that
    holds a few words is refused with their lines, as the data source does: read as it
    is, it would become a column of categories.
    """
    for piece in found:
        for frame in _piece_frames(piece, columns):
            if numbers_key is not None and piece.group is None:
                _refuse_stray_words(frame, piece, numbers_key)
            yield frame


def _refuse_stray_words(frame: Any, piece: Piece, key: str) -> None:
    import pandas as pd

    problems = []
    for name in frame.columns:
        values = frame[name]
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            continue
        bad = bad_numbers(values)
        if len(bad) and looks_numeric(values, bad):
            lines = record_lines(Path(piece.file), ",", list(bad.index[:SHOWN_VALUES]))
            problems.append(bad_numbers_problem(
                display_path(piece.file), str(name), bad, lines, key,
                "fix those values (or leave them empty: a missing value is no word)"))
    if problems:
        raise DataError(problems)


def _piece_frames(piece: Piece, columns: Collection[str] | None) -> Iterator[Any]:
    wanted = list(piece.columns) if columns is None else [c for c in piece.columns if c in columns]
    if piece.group is None:
        import pandas as pd

        yield from pd.read_csv(piece.file, usecols=wanted, chunksize=CSV_CHUNK_ROWS)
        return
    import pyarrow.parquet as pq

    yield pq.ParquetFile(piece.file).read_row_group(piece.group, columns=wanted).to_pandas()


def _file_pieces(file: Path, key: str) -> list[Piece]:
    if file.suffix.lower() == ".csv":
        # The whole file is checked here: pandas would pad a short row with missing values
        # and cut a long one to ``usecols`` without a word, on a worker.
        return [Piece(str(file), None, check_csv(file, key))]
    import pyarrow.parquet as pq

    handle = _opened(file, key, "Parquet", lambda: pq.ParquetFile(file))
    columns = tuple(handle.schema_arrow.names)
    # A writer may leave empty row groups behind: there is nothing in them to profile.
    return [Piece(str(file), group, columns) for group in range(handle.num_row_groups)
            if handle.metadata.row_group(group).num_rows > 0]


def _opened(file: Path, key: str, kind: str, opener: Callable[[], _T]) -> _T:
    try:
        return opener()
    except Exception as error:  # every reader failure means the same to the user: a bad file
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise DataError(Problem(f"cannot read the file as {kind}: {first}",
                                file=display_path(file), key=key,
                                expected=f"a valid {kind} file")) from error
