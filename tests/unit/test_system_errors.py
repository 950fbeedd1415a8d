"""What the machine refuses, described: a path the command line named is exit 2, else 1."""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

import pytest

from assay.cli.system_errors import describe


def test_a_full_disk_is_the_environments_failure() -> None:
    failure = describe(OSError(errno.ENOSPC, "No space left on device", "/data/store/x"))
    assert failure is not None
    assert failure.exit_code == 1
    assert failure.render() == ("cannot create or write '/data/store/x': No space left on device\n"
                                "  hint: free some space and run again: finished steps are cached")


def test_a_path_the_command_line_named_is_the_users_to_fix() -> None:
    error = NotADirectoryError(errno.ENOTDIR, "Not a directory", "/dev/null/x/sub")
    failure = describe(error, ["model=logistic", "hydra.run.dir=/dev/null/x"])
    assert failure is not None
    assert failure.exit_code == 2
    assert failure.message == ("command line 'hydra.run.dir=/dev/null/x': cannot create or write "
                               "'/dev/null/x/sub': Not a directory")


def test_a_prefix_that_is_not_a_parent_directory_is_not_the_override() -> None:
    error = PermissionError(errno.EACCES, "Permission denied", "/srv/outputs2/run")
    failure = describe(error, ["hydra.run.dir=/srv/outputs"])
    assert failure is not None and failure.exit_code == 1


class _Metadata:
    """Stands where the store's metadata object issues a statement."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self) -> None:
        connection = sqlite3.connect(":memory:")
        connection.execute("CREATE TABLE t (x)")
        connection.execute("PRAGMA query_only = 1")
        connection.execute("INSERT INTO t VALUES (1)")


def test_a_read_only_database_names_its_file(tmp_path: Path) -> None:
    with pytest.raises(sqlite3.OperationalError) as raised:
        _Metadata(tmp_path / "assay.db").write()
    failure = describe(raised.value)
    assert failure is not None and failure.exit_code == 1
    assert failure.message.startswith(f"cannot write the store's database {tmp_path / 'assay.db'}: "
                                      "it is read-only")


@pytest.mark.parametrize("error", [ValueError("x"), sqlite3.OperationalError("no such table: t")])
def test_other_errors_are_not_described(error: Exception) -> None:
    assert describe(error) is None
