"""Runs never stay "running": a run whose process is gone is marked interrupted by the
next opening of the store; an older store gains the columns that make this possible."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

from assay.store import Store
from assay.store import metadata as metadata_module
from assay.store.metadata import SCHEMA_VERSION, MetadataStore
from assay.store.processes import ProcessIdentity, current_process, is_gone, start_time


def _start(store: Store, run_id: str) -> None:
    store.metadata.start_run(run_id, "p", "assay run", [], "a: 1\n", None, 3)


def test_a_run_whose_process_died_is_interrupted_when_the_store_is_next_opened(
    tmp_path: Path
) -> None:
    script = textwrap.dedent(f"""
        import os
        from assay.store import Store
        store = Store({str(tmp_path)!r})
        store.metadata.start_run("dead", "p", "assay run", [], "a: 1\\n", None, 3)
        os._exit(0)  # gone without recording how the run ended, as after a SIGKILL
    """)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    store = Store(tmp_path)
    _start(store, "alive")  # this process: still running
    run = store.metadata.run("dead")
    assert run is not None and run["status"] == "interrupted"
    assert run["host"] == socket.gethostname() and run["pid"] > 0
    assert "its process ended before the run was recorded as finished" in run["error"]
    assert store.metadata.run("alive")["status"] == "running"  # type: ignore[index]
    store.close()
    reopened = Store(tmp_path)
    assert [r["id"] for r in reopened.metadata.running_runs()] == ["alive"]


def test_a_run_on_another_host_or_without_a_start_time_is_left_alone() -> None:
    me = current_process()
    assert not is_gone(me)
    assert not is_gone(ProcessIdentity(me.pid, "another-host", "x"))
    assert not is_gone(ProcessIdentity(2**22 + 1, me.host, None))
    assert is_gone(ProcessIdentity(me.pid, me.host, "0:0"))  # the pid, reused by another
    assert start_time(2**22 + 1) is None


def test_a_failed_registration_turns_a_recorded_run_into_failed(tmp_path: Path) -> None:
    store = Store(tmp_path)
    _start(store, "r")
    store.metadata.finish_run("r", "succeeded", [], {"a": 1.0})
    store.metadata.mark_run("r", "failed", "registration failed: boom")
    run = store.metadata.run("r")
    assert run is not None
    assert (run["status"], run["error"]) == ("failed", "registration failed: boom")


def test_a_store_of_schema_4_opens_and_gains_the_process_columns(tmp_path: Path) -> None:
    path = tmp_path / "assay.db"
    old_schema = metadata_module._SCHEMA.replace(
        ",\n    pid INTEGER,\n    host TEXT,\n    process_started TEXT\n", "\n")
    assert old_schema != metadata_module._SCHEMA
    with sqlite3.connect(path) as connection:
        connection.executescript(old_schema + "PRAGMA user_version = 4;")
        connection.execute("INSERT INTO runs (id, pipeline, status, started)"
                           " VALUES ('old', 'p', 'running', 1.0)")
    store = MetadataStore(path)
    columns = {r[1] for r in store.connection.execute("PRAGMA table_info(runs)")}
    assert {"pid", "host", "process_started"} <= columns
    assert store.connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 5
    # an older assay's run cannot be checked: it stays as it was, for `assay verify`
    assert [r["id"] for r in store.running_runs()] == ["old"]
    store.interrupt_runs(["old"])
    assert store.running_runs() == []
    store.close()
    assert MetadataStore(path).run("old")["status"] == "interrupted"  # type: ignore[index]
