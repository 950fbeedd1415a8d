"""What the machine refused (a full disk, a read-only store, a path that cannot be a
directory) as a message that says what and where, instead of a traceback.

These are not assay's errors: the operating system or SQLite raises them from deep in
Hydra, the store or a step. A path the command line named is the user's to fix (exit 2);
anything else is the environment's (exit 1).
"""

from __future__ import annotations

import errno
import sqlite3
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

INPUT = 2
"""The exit status of a path the command line named and the machine refused."""

ENVIRONMENT = 1
"""The exit status of a failure of the machine: full disk, read-only or unwritable store."""

_SQLITE_HINTS = {
    "readonly": ("it is read-only (a read-only file system, or no write permission)",
                 "make the store directory writable, or set store.root to a writable directory"),
    "full": ("the disk holding it is full",
             "free some space and run again: finished steps are cached"),
    "unable to open": ("it cannot be opened or created",
                       "check that store.root is a directory you can write"),
    "disk i/o": ("the disk reported an I/O error",
                 "check the disk; finished steps are cached and verified when read"),
}

_OS_HINTS = {
    errno.ENOSPC: "free some space and run again: finished steps are cached",
    errno.EDQUOT: "free some space or raise the quota, and run again",
    errno.EROFS: "use a directory on a writable file system",
    errno.EACCES: "use a directory you can write, or fix its permissions",
    errno.EPERM: "use a directory you can write, or fix its permissions",
    errno.ENOTDIR: "a file stands where a directory is needed; use another directory",
    errno.ENAMETOOLONG: "use a shorter path (each part at most 255 characters)",
}


@dataclass(frozen=True)
class SystemFailure:
    """A refused operation, described for the user.

    Attributes:
        message: What failed and why, one line.
        hint: How to fix it.
        exit_code: 2 for a path the command line named, 1 otherwise.
    """

    message: str
    hint: str
    exit_code: int

    def render(self) -> str:
        """The message, then the hint on a line of its own."""
        return f"{self.message}\n  hint: {self.hint}"


def describe(error: BaseException, overrides: Sequence[str] = ()) -> SystemFailure | None:
    """A :class:`SystemFailure` for an OS, SQLite or recursion error; None for anything else.

    Args:
        error: What was raised.
        overrides: The command line's overrides, to tell a path the user named.
    """
    if isinstance(error, sqlite3.DatabaseError):
        return _sqlite_failure(error)
    if isinstance(error, OSError) and error.errno is not None:
        return _os_failure(error, overrides)
    if isinstance(error, RecursionError):
        return SystemFailure("the input nests too deeply to be processed (Python's recursion "
                             "limit was reached)",
                             "flatten the deepest value of the config, override or data file",
                             INPUT)
    return None


def _sqlite_failure(error: sqlite3.Error) -> SystemFailure | None:
    text = str(error)
    lowered = text.lower()
    for marker, (why, hint) in _SQLITE_HINTS.items():
        if marker in lowered:
            database = _database_path(error)
            where = f"the store's database {database}" if database else "the store's database"
            return SystemFailure(f"cannot write {where}: {why} (SQLite: {text})", hint,
                                 ENVIRONMENT)
    return None


def _os_failure(error: OSError, overrides: Sequence[str]) -> SystemFailure:
    path = error.filename
    what = error.strerror or str(error)
    named = _override_naming(str(path), overrides) if path is not None else None
    if path is None:
        message = f"the system refused an operation: {what}"
    elif named is not None:
        message = f"command line '{named}': cannot create or write '{path}': {what}"
    else:
        message = f"cannot create or write '{path}': {what}"
    hint = _OS_HINTS.get(error.errno or 0, "check the path and its permissions")
    if named is not None and named.split("=", 1)[0].lstrip("+~").startswith("hydra."):
        hint += " (hydra.run.dir, or hydra.sweep.dir for -m, is where each run writes its files)"
    return SystemFailure(message, hint, INPUT if named is not None else ENVIRONMENT)


def _override_naming(path: str, overrides: Sequence[str]) -> str | None:
    """The override whose value is ``path`` or a directory above it, if any."""
    for override in overrides:
        _, sep, value = override.partition("=")
        value = value.strip().strip("'\"")
        if sep and value and (path == value or path.startswith(value.rstrip("/") + "/")):
            return override
    return None


def _database_path(error: BaseException) -> Path | None:
    """The SQLite file the failing statement ran on, read from the raising frames.

    SQLite's exceptions carry no file name; the store's metadata object that issued the
    statement knows it (its ``path``), and is on the stack that raised.
    """
    traceback = error.__traceback__
    found: Path | None = None
    while traceback is not None:
        owner = traceback.tb_frame.f_locals.get("self")
        # The metadata store itself, or an object that holds it (the model registry).
        for holder in (owner, getattr(owner, "metadata", None)):
            path = getattr(holder, "path", None)
            if isinstance(path, Path) and path.suffix == ".db":
                found = path
        traceback = traceback.tb_next
    return found


def print_failure(failure: SystemFailure) -> None:
    """Prints ``assay: error: ...`` for ``failure`` on stderr."""
    print(f"assay: error: {failure.render()}", file=sys.stderr)
