"""Checking a CSV file before its rows are used, and saying where it is wrong.

pandas reads a damaged CSV file without a word in most ways: a repeated header name
becomes ``a.1``, a short row is padded with missing values, a long one is cut short by
``usecols``, and a number column with a stray word turns into text. So a file is checked
here first: header names unique, every byte UTF-8, every quote closed, every row as
many fields as the header. The scan is pyarrow's (compiled, a block at a time); only
when it finds something is the file read again line by line to say where, so a good
file costs one fast pass.

Line numbers are the file's own: the header is line 1, and a row whose quoted value
spans several lines is named by the line it starts on.
"""

from __future__ import annotations

import contextlib
import csv
import importlib
import io
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import IO, Any

from assay.config.project import display_path
from assay.errors import DataError, Problem

SHOWN_VALUES = 5
"""Bad values a message quotes (with their lines); the count says how many there are."""
UNCHECKED_SUFFIXES = (".zip", ".zst", ".tar")
_DECOMPRESSORS = {".gz": "gzip", ".bz2": "bz2", ".xz": "lzma"}


def checkable(path: Path, sep: str = ",") -> bool:
    """Whether :func:`check_csv` can read the file: a one-character separator, and the file
    plain or compressed with gzip, bz2 or xz (pandas reads more: zip, zstd and tar
    archives, and regular-expression separators, which are left to it unchecked)."""
    name = path.name.lower()
    return len(sep) == 1 and not name.endswith(UNCHECKED_SUFFIXES) and ".tar." not in name


def check_csv(path: Path, key: str, sep: str = ",") -> tuple[str, ...]:
    """The header names of the CSV file at ``path``, after checking its shape.

    Args:
        path: The file.
        key: The setting that names it, for messages.
        sep: The field separator.

    Raises:
        DataError: when the file is missing, a folder, empty, not UTF-8, has a quote
            that is never closed, a row with more or fewer fields than the header, or
            a header name given twice; the message names the line.
    """
    names = _header(path, key, sep)
    # an empty name is no name (pandas calls each "Unnamed: N"), not a repeated one
    repeated = sorted({name for name in names if name.strip() and names.count(name) > 1})
    if repeated:
        positions = "; ".join(
            f"'{name}' is column " + " and ".join(str(i + 1) for i, n in enumerate(names) if n == name)
            for name in repeated)
        raise DataError(Problem(
            "the header names a column more than once: " + positions,
            file=f"{display_path(path)}:1", key=key, expected="a unique name per column",
            hint="rename the repeated columns in the file's first line"))
    _scan(path, key, sep, len(names))
    return names


def bad_numbers(column: Any) -> Any:
    """The values of ``column`` that are present but are not numbers, by row label."""
    import pandas as pd

    present = column[column.notna()]
    return present[pd.to_numeric(present, errors="coerce").isna()]


def looks_numeric(column: Any, bad: Any) -> bool:
    """Whether most present values of ``column`` are numbers, ``bad`` the ones that are not.

    More than half is the line: a text column rarely holds numbers in most rows, while
    a number column with a marker for "unknown" ("?", "n.a.") holds them in nearly all.
    """
    present = int(column.notna().sum())
    return present > 0 and present - len(bad) > present / 2


def bad_numbers_problem(path: str, column: str, bad: Any, lines: dict[int, int] | None,
                        key: str, hint: str) -> Problem:
    """A located message for ``bad`` (values by row label) in the number column ``column``.

    Args:
        path: The file, as shown.
        column: The column's name.
        bad: The values that are not numbers, labelled by row.
        lines: The file line of each row label, where known (CSV files).
        key: The setting to fix.
        hint: How to fix it.
    """
    shown = []
    for label, value in list(bad.items())[:SHOWN_VALUES]:
        where = f"line {lines[label]}" if lines and label in lines else f"row {label}"
        text = str(value) if len(str(value)) <= 40 else str(value)[:37] + "..."
        shown.append(f"{text!r} ({where})")
    count = len(bad)
    first = next(iter(lines.values()), None) if lines else None
    return Problem(
        f"column '{column}' holds numbers, and {count} value{'s' if count != 1 else ''} "
        f"that {'are' if count != 1 else 'is'} not: " + ", ".join(shown)
        + (", ..." if count > SHOWN_VALUES else ""),
        file=f"{path}:{first}" if first is not None else path, key=key,
        expected="a number or an empty field in every row", hint=hint)


def record_lines(path: Path, sep: str, records: Collection[int]) -> dict[int, int]:
    """The line each of ``records`` starts on: data rows counted from 0 after the header,
    blank lines skipped (as pandas counts them)."""
    wanted, found = set(records), {}
    try:
        for index, (line, _) in enumerate(_records(path, sep, strict=False)):
            if index - 1 in wanted:  # record 0 is the header
                found[index - 1] = line
                if len(found) == len(wanted):
                    break
    except csv.Error:  # such as a value over the csv module's size limit: rows stay unnamed
        pass
    return found


def _header(path: Path, key: str, sep: str) -> tuple[str, ...]:
    shown = display_path(path)
    if path.is_dir():
        raise DataError(Problem("the path is a folder, not a CSV file", file=shown, key=key,
                                expected="a CSV file", hint="name one of the files in it"))
    try:
        with _binary(path) as handle:
            parquet = handle.read(4) == b"PAR1"
        first = None if parquet else next(_records(path, sep, strict=False), None)
    except FileNotFoundError as error:
        raise DataError(Problem("data file not found", file=shown, key=key)) from error
    except UnicodeDecodeError:
        raise DataError(_encoding_problem(path, key) or Problem(
            "the file is not UTF-8 text", file=shown, key=key,
            expected="a UTF-8 encoded file")) from None
    except csv.Error as error:
        raise DataError(_diagnose(path, key, sep, 0) or Problem(
            f"cannot read the file as CSV: {error}", file=shown, key=key)) from error
    except (OSError, EOFError) as error:  # such as a .gz file that is not gzip
        raise DataError(Problem(f"cannot read the file as CSV: {error}", file=shown, key=key,
                                expected="a CSV file")) from error
    if parquet:
        raise DataError(Problem("this is a Parquet file, not a CSV file", file=shown, key=key,
                                hint="read it as Parquet: data=parquet"))
    if first is None:
        raise DataError(Problem("cannot read the file as CSV: it is empty (no header row)",
                                file=shown, key=key, expected="a header row naming the columns"))
    return tuple(first[1])


def _records(path: Path, sep: str, strict: bool) -> Iterator[tuple[int, list[str]]]:
    """Each non-blank record with the line it starts on.

    Raises:
        _BadQuoting: from a strict reader, naming the line the bad record starts on.
    """
    with _text(path) as handle:
        reader = csv.reader(handle, delimiter=sep, strict=strict)
        start = 1
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                raise _BadQuoting(start, str(error)) from error
            if row:
                yield start, row
            start = reader.line_num + 1


class _BadQuoting(csv.Error):
    """A record the csv module cannot read, and the line it starts on."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


def _scan(path: Path, key: str, sep: str, fields: int) -> None:
    """Reads every row with pyarrow, all as text; on an error, finds the line that has it."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = [f"field{i}" for i in range(fields)]  # the header row is read as a row too
    try:
        # pyarrow decompresses by suffix only the codecs it was built with: Python's own
        # decompressors read a compressed file, pyarrow a plain one (faster).
        compressed = path.suffix.lower() in _DECOMPRESSORS
        with _binary(path) if compressed else contextlib.nullcontext(str(path)) as source:
            reader = pacsv.open_csv(
                source, read_options=pacsv.ReadOptions(column_names=names),
                parse_options=pacsv.ParseOptions(delimiter=sep, newlines_in_values=True),
                convert_options=pacsv.ConvertOptions(
                    column_types=dict.fromkeys(names, pa.string())))
            for _ in reader:
                pass
    except (pa.ArrowInvalid, UnicodeDecodeError, OSError) as error:
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise DataError(_diagnose(path, key, sep, fields) or Problem(
            f"cannot read the file as CSV: {first}", file=display_path(path), key=key,
            expected="a valid CSV file")) from None
    # pyarrow takes a quote left open at the end as running to the end of the file; the
    # quotes of a well-formed file pair up, so an odd count is worth a closer look.
    if _odd_quotes(path):
        problem = _diagnose(path, key, sep, fields)
        if problem is not None:
            raise DataError(problem)


def _odd_quotes(path: Path) -> bool:
    count = 0
    with _binary(path) as handle:
        while block := handle.read(1 << 20):
            count += block.count(b'"')
    return count % 2 == 1


def _diagnose(path: Path, key: str, sep: str, fields: int) -> Problem | None:
    """The first thing wrong with the file, read line by line (only after a failed scan)."""
    encoding = _encoding_problem(path, key)
    if encoding is not None:
        return encoding
    shown = display_path(path)
    try:
        for index, (start, row) in enumerate(_records(path, sep, strict=True)):
            if index and fields and len(row) != fields:
                return Problem(
                    f"line {start} has {len(row)} field{'s' if len(row) != 1 else ''}, "
                    f"the header has {fields}", file=f"{shown}:{start}", key=key,
                    expected=f"{fields} fields in every row ('{sep}' between them)",
                    got=repr(sep.join(row)[:80]),
                    hint="a value holding the separator must be quoted")
    except _BadQuoting as error:
        if "unexpected end of data" in str(error):
            column = _open_quote(path, error.line)
            where = f"line {error.line}" + (f", column {column}" if column else "")
            return Problem(f"the quote opened on {where} is never closed",
                           file=f"{shown}:{error.line}", key=key,
                           expected="every quoted value to end with a quote",
                           hint='close the quote, or double a quote inside a value ("")')
        if "field limit" in str(error):
            return None  # the csv module cannot read on: pyarrow's own message stands
        return Problem(f"malformed quoting on line {error.line}: {error}",
                       file=f"{shown}:{error.line}", key=key,
                       expected="a quoted value to be followed by the separator")
    return None


def _open_quote(path: Path, line: int) -> int | None:
    """The column of the quote that ``line`` leaves open, if it leaves one open."""
    with _text(path) as handle:
        text = next((t for number, t in enumerate(handle, 1) if number == line), "")
    opened, index = None, 0
    while index < len(text):
        if text[index] == '"':
            if opened is None:
                opened = index
            elif text[index + 1:index + 2] == '"':  # a doubled quote inside a quoted value
                index += 1
            else:
                opened = None
        index += 1
    return None if opened is None else opened + 1


def _binary(path: Path) -> IO[bytes]:
    """The file's bytes, decompressed when its suffix says so (as pandas and pyarrow do)."""
    module = _DECOMPRESSORS.get(path.suffix.lower())
    if module is None:
        return path.open("rb")
    opened: IO[bytes] = importlib.import_module(module).open(path, "rb")
    return opened


def _text(path: Path) -> IO[str]:
    return io.TextIOWrapper(_binary(path), encoding="utf-8-sig", newline="")


def _encoding_problem(path: Path, key: str) -> Problem | None:
    """Where the first byte that is not UTF-8 is (line and column)."""
    with _binary(path) as handle:
        for number, raw in enumerate(handle, 1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as error:
                column = len(raw[:error.start].decode("utf-8", errors="replace")) + 1
                return Problem(
                    f"byte 0x{raw[error.start]:02x} on line {number}, column {column} is not "
                    "UTF-8 text", file=f"{display_path(path)}:{number}", key=key,
                    expected="a UTF-8 encoded file",
                    hint="save the file as UTF-8 (it may be Latin-1 or Windows-1252)")
    return None
