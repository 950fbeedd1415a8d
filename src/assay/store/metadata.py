"""Run metadata in SQLite: runs, tasks, node history, cached file hashes, sweeps and the
model registry's tables (written through :mod:`assay.registry.versions`).

WAL mode lets readers work while one run writes; every write is a short
transaction retried while another process holds the lock, so concurrent runs on
one workspace do not fail on "database is locked".
"""

from __future__ import annotations

import json
import logging
import random
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from assay.errors import StoreError
from assay.store.processes import ProcessIdentity, current_process, is_gone

log = logging.getLogger(__name__)

SCHEMA_VERSION = 5
_T = TypeVar("_T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    pipeline TEXT NOT NULL,
    status TEXT NOT NULL,
    started REAL NOT NULL,
    finished REAL,
    command TEXT,
    overrides TEXT,
    config TEXT,
    output_dir TEXT,
    n_nodes INTEGER DEFAULT 0,
    n_ran INTEGER DEFAULT 0,
    n_cached INTEGER DEFAULT 0,
    n_failed INTEGER DEFAULT 0,
    n_skipped INTEGER DEFAULT 0,
    metrics TEXT,
    error TEXT,
    pid INTEGER,
    host TEXT,
    process_started TEXT
);
CREATE TABLE IF NOT EXISTS tasks (
    run_id TEXT NOT NULL REFERENCES runs(id),
    node TEXT NOT NULL,
    step TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    started REAL,
    duration REAL,
    error TEXT,
    log_path TEXT,
    PRIMARY KEY (run_id, node)
);
CREATE INDEX IF NOT EXISTS tasks_by_fingerprint ON tasks(fingerprint);
CREATE TABLE IF NOT EXISTS task_inputs (
    run_id TEXT NOT NULL REFERENCES runs(id),
    node TEXT NOT NULL,
    producer TEXT NOT NULL,
    PRIMARY KEY (run_id, node, producer)
);
CREATE TABLE IF NOT EXISTS artifacts (
    fingerprint TEXT NOT NULL,
    output TEXT NOT NULL,
    kind TEXT NOT NULL,
    codec TEXT NOT NULL,
    path TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY (fingerprint, output)
);
CREATE TABLE IF NOT EXISTS node_history (
    pipeline TEXT NOT NULL,
    node TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    components TEXT NOT NULL,
    recorded REAL NOT NULL,
    PRIMARY KEY (pipeline, node, fingerprint)
);
CREATE TABLE IF NOT EXISTS sweeps (
    id TEXT PRIMARY KEY,
    sweep_dir TEXT NOT NULL UNIQUE,
    started REAL NOT NULL,
    finished REAL,
    objective TEXT,
    direction TEXT NOT NULL,
    total_nodes INTEGER DEFAULT 0,
    unique_nodes INTEGER DEFAULT 0,
    n_ran INTEGER DEFAULT 0,
    n_cached INTEGER DEFAULT 0
);
CREATE TABLE IF NOT EXISTS sweep_jobs (
    sweep_id TEXT NOT NULL REFERENCES sweeps(id),
    job INTEGER NOT NULL,
    run_id TEXT NOT NULL,
    overrides TEXT NOT NULL,
    status TEXT NOT NULL,
    value REAL,
    metrics TEXT,
    error TEXT,
    PRIMARY KEY (sweep_id, job)
);
CREATE TABLE IF NOT EXISTS model_versions (
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    created REAL NOT NULL,
    run_id TEXT NOT NULL,
    pipeline TEXT NOT NULL,
    register_fingerprint TEXT NOT NULL,
    model_fingerprint TEXT NOT NULL,
    model_sha256 TEXT NOT NULL,
    estimator TEXT,
    task TEXT,
    config TEXT NOT NULL,
    overrides TEXT NOT NULL,
    fingerprints TEXT NOT NULL,
    metrics TEXT NOT NULL,
    code TEXT NOT NULL,
    packages TEXT NOT NULL,
    training TEXT,
    PRIMARY KEY (name, version),
    UNIQUE (name, register_fingerprint)
);
CREATE TABLE IF NOT EXISTS model_datasets (
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    role TEXT NOT NULL,
    node TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    source TEXT,
    rows INTEGER,
    columns TEXT,
    PRIMARY KEY (name, version, role)
);
CREATE INDEX IF NOT EXISTS model_datasets_by_fingerprint ON model_datasets(fingerprint);
CREATE TABLE IF NOT EXISTS model_aliases (
    name TEXT NOT NULL,
    alias TEXT NOT NULL,
    version INTEGER NOT NULL,
    updated REAL NOT NULL,
    PRIMARY KEY (name, alias)
);
CREATE TABLE IF NOT EXISTS model_tags (
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (name, version, key)
);
CREATE TABLE IF NOT EXISTS promotions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    alias TEXT NOT NULL,
    promoted INTEGER NOT NULL,
    previous INTEGER,
    reasons TEXT NOT NULL,
    gate TEXT NOT NULL,
    run_id TEXT,
    decided REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS drift_checks (
    id TEXT PRIMARY KEY,
    checked REAL NOT NULL,
    model TEXT NOT NULL,
    current TEXT NOT NULL,
    rows INTEGER NOT NULL,
    pieces INTEGER NOT NULL,
    drift_share REAL NOT NULL,
    drifted INTEGER NOT NULL,
    result TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS retrain_triggers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    check_id TEXT NOT NULL REFERENCES drift_checks(id),
    model_name TEXT NOT NULL,
    rule TEXT NOT NULL,
    fired INTEGER NOT NULL,
    reason TEXT NOT NULL,
    inputs TEXT NOT NULL,
    decided REAL NOT NULL,
    outcome TEXT
);
CREATE TABLE IF NOT EXISTS file_hashes (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    sha256 TEXT NOT NULL
);
"""

_ADDED_COLUMNS = {"runs": (("pid", "INTEGER"), ("host", "TEXT"), ("process_started", "TEXT"))}
"""Columns added since the table was first created (schema 5: the process of a run),
added to an older store's table when it is opened."""

INTERRUPTED = "interrupted"


@dataclass(frozen=True)
class TaskRecord:
    """One node's fate in one run."""

    node: str
    step: str
    fingerprint: str
    status: str  # ran, cached, failed, skipped
    reason: str | None = None
    started: float | None = None
    duration: float | None = None
    error: str | None = None
    log_path: str | None = None
    inputs: tuple[str, ...] = ()  # the nodes whose outputs it read: the plan's edges


class MetadataStore:
    """The SQLite database at ``<root>/assay.db``."""

    def __init__(self, path: Path, busy_timeout_s: float = 60.0) -> None:
        self.path = Path(path)
        self.busy_timeout_s = busy_timeout_s
        self._connection: sqlite3.Connection | None = None

    @property
    def connection(self) -> sqlite3.Connection:
        """The connection, opened and migrated on first use.

        Raises:
            StoreError: when the file is not an SQLite database assay can use.
        """
        if self._connection is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                self._connection = self._open()
            except sqlite3.DatabaseError as error:
                raise StoreError(
                    f"{self.path} is not an assay store ({error})",
                    hint="point at the directory an `assay run` wrote, or move "
                         f"{self.path.name} aside to start an empty store") from error
        return self._connection

    def _open(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=self.busy_timeout_s, isolation_level=None)
        try:
            connection.row_factory = sqlite3.Row
            self._retry(lambda: connection.execute("PRAGMA journal_mode=WAL"))
            connection.execute("PRAGMA synchronous=NORMAL")
            self._migrate(connection)
            self._interrupt_stale_runs(connection)
        except BaseException:
            connection.close()  # a half-opened store must not be reused by the next call
            raise
        return connection

    def close(self) -> None:
        """Closes the connection (reopened on next use)."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _migrate(self, connection: sqlite3.Connection) -> None:
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} was written by a newer assay (schema {version}); upgrade assay"
            )
        if version < SCHEMA_VERSION:
            self._retry(lambda: connection.execute("BEGIN IMMEDIATE"))
            try:
                self._upgrade(connection)
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")

    def _upgrade(self, connection: sqlite3.Connection) -> None:
        """Creates what is missing, inside the caller's write transaction."""
        if connection.execute("PRAGMA user_version").fetchone()[0] >= SCHEMA_VERSION:
            return  # another process upgraded it while this one waited for the lock
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                connection.execute(statement)
        for table, columns in _ADDED_COLUMNS.items():
            present = {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}
            for name, kind in columns:
                if name not in present:
                    connection.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _interrupt_stale_runs(self, connection: sqlite3.Connection) -> None:
        """Marks ``interrupted`` the running runs whose process is gone (killed, crashed)."""
        try:
            self._mark_interrupted(connection, self._stale(connection))
        except sqlite3.OperationalError as error:  # a read-only store still opens for reading
            log.warning("could not mark interrupted runs in %s: %s", self.path, error)

    def _stale(self, connection: sqlite3.Connection) -> list[str]:
        rows = connection.execute(
            "SELECT id, pid, host, process_started FROM runs WHERE status = 'running'"
            " AND pid IS NOT NULL").fetchall()
        return [str(r[0]) for r in rows
                if is_gone(ProcessIdentity(int(r[1]), str(r[2]), r[3]))]

    def _mark_interrupted(self, connection: sqlite3.Connection, run_ids: list[str]) -> None:
        if not run_ids:
            return
        self._retry(lambda: connection.execute("BEGIN IMMEDIATE"))
        try:
            connection.executemany(
                "UPDATE runs SET status = ?, error = COALESCE(error, ?)"
                " WHERE id = ? AND status = 'running'",
                [(INTERRUPTED, "interrupted: its process ended before the run was recorded"
                  " as finished (killed, or the machine stopped)", run_id) for run_id in run_ids])
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that takes the lock up front (BEGIN IMMEDIATE)."""
        connection = self._connection or self.connection
        self._retry(lambda: connection.execute("BEGIN IMMEDIATE"))
        try:
            yield connection
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        else:
            connection.execute("COMMIT")

    def _retry(self, action: Callable[[], _T]) -> _T:
        deadline = time.monotonic() + self.busy_timeout_s
        while True:
            try:
                return action()
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) and "busy" not in str(error):
                    raise
                if time.monotonic() > deadline:
                    raise StoreError(f"{self.path} stayed locked for {self.busy_timeout_s}s") from error
                time.sleep(random.uniform(0.01, 0.05))

    # ------------------------------------------------------------------ runs

    def start_run(self, run_id: str, pipeline: str, command: str, overrides: list[str],
                  config_yaml: str, output_dir: str | None, n_nodes: int,
                  started: float | None = None) -> None:
        """Records a run as started (now, unless ``started`` says when)."""
        process = current_process()
        with self.transaction() as tx:
            tx.execute(
                "INSERT INTO runs (id, pipeline, status, started, command, overrides, config,"
                " output_dir, n_nodes, pid, host, process_started)"
                " VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (run_id, pipeline, started or time.time(), command, json.dumps(overrides),
                 config_yaml, output_dir, n_nodes, process.pid, process.host, process.started),
            )

    def finish_run(self, run_id: str, status: str, tasks: list[TaskRecord],
                   metrics: Mapping[str, Any] | None, error: str | None = None) -> None:
        """Records the run's outcome and every task of it in one transaction."""
        counts = {s: sum(1 for t in tasks if t.status == s)
                  for s in ("ran", "cached", "failed", "skipped")}
        with self.transaction() as tx:
            tx.executemany(
                "INSERT OR REPLACE INTO tasks (run_id, node, step, fingerprint, status, reason,"
                " started, duration, error, log_path) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(run_id, t.node, t.step, t.fingerprint, t.status, t.reason, t.started,
                  t.duration, t.error, t.log_path) for t in tasks],
            )
            tx.executemany(
                "INSERT OR REPLACE INTO task_inputs (run_id, node, producer) VALUES (?, ?, ?)",
                [(run_id, t.node, producer) for t in tasks for producer in t.inputs],
            )
            tx.execute(
                "UPDATE runs SET status = ?, finished = ?, n_ran = ?, n_cached = ?, n_failed = ?,"
                " n_skipped = ?, metrics = ?, error = ? WHERE id = ?",
                (status, time.time(), counts["ran"], counts["cached"], counts["failed"],
                 counts["skipped"], json.dumps(metrics) if metrics is not None else None,
                 error, run_id),
            )

    def mark_run(self, run_id: str, status: str, error: str) -> None:
        """Changes a recorded run's status after the fact (``failed`` when its registration
        failed), adding ``error`` to what it recorded."""
        with self.transaction() as tx:
            tx.execute(
                "UPDATE runs SET status = ?, finished = COALESCE(finished, ?),"
                " error = CASE WHEN error IS NULL THEN ? ELSE error || char(10) || ? END"
                " WHERE id = ?", (status, time.time(), error, error, run_id))

    def settle_run(self, run_id: str, status: str) -> None:
        """Gives a run still recorded as running its final ``status`` (once it registered)."""
        with self.transaction() as tx:
            tx.execute("UPDATE runs SET status = ? WHERE id = ? AND status = 'running'",
                       (status, run_id))

    def running_runs(self) -> list[dict[str, Any]]:
        """The runs still recorded as running, oldest first."""
        rows = self.connection.execute(
            "SELECT * FROM runs WHERE status = 'running' ORDER BY started").fetchall()
        return [dict(r) for r in rows]

    def run_count(self) -> int:
        """How many runs the store recorded."""
        return int(self.connection.execute("SELECT COUNT(*) FROM runs").fetchone()[0])

    def interrupt_runs(self, run_ids: list[str]) -> None:
        """Marks runs ``interrupted`` (``assay verify --repair`` on runs it cannot check)."""
        self._mark_interrupted(self.connection, run_ids)

    def run(self, run_id: str) -> dict[str, Any] | None:
        """One run's row as a dict."""
        row = self.connection.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        return dict(row) if row else None

    def runs(self, limit: int = 50) -> list[dict[str, Any]]:
        """The latest runs, newest first."""
        rows = self.connection.execute(
            "SELECT * FROM runs ORDER BY started DESC LIMIT ?", (limit,)
        ).fetchall()
        return [dict(r) for r in rows]

    def tasks(self, run_id: str) -> list[dict[str, Any]]:
        """The tasks of one run."""
        rows = self.connection.execute(
            "SELECT * FROM tasks WHERE run_id = ? ORDER BY rowid", (run_id,)
        ).fetchall()
        return [dict(r) for r in rows]

    def task_inputs(self, run_id: str) -> list[tuple[str, str]]:
        """The plan's edges of one run, as ``(producer, node)`` pairs."""
        rows = self.connection.execute(
            "SELECT producer, node FROM task_inputs WHERE run_id = ? ORDER BY rowid", (run_id,)
        ).fetchall()
        return [(str(r[0]), str(r[1])) for r in rows]

    # ------------------------------------------------------------------ artifacts and history

    def record_artifacts(self, fingerprint: str, outputs: Mapping[str, Mapping[str, Any]]) -> None:
        """Indexes the outputs of one stored entry (the manifest on disk stays authoritative)."""
        now = time.time()
        with self.transaction() as tx:
            tx.executemany(
                "INSERT OR REPLACE INTO artifacts VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(fingerprint, name, o["kind"], o["codec"], o["path"], o["size"], o["sha256"], now)
                 for name, o in outputs.items()],
            )

    def record_history(self, pipeline: str, nodes: list[tuple[str, str, Mapping[str, Any]]]) -> None:
        """Remembers what each node's fingerprint was made of, to explain later changes."""
        now = time.time()
        with self.transaction() as tx:
            tx.executemany(
                "INSERT OR REPLACE INTO node_history VALUES (?, ?, ?, ?, ?)",
                [(pipeline, node, fp, json.dumps(components, sort_keys=True), now)
                 for node, fp, components in nodes],
            )

    def previous_components(self, pipeline: str, node: str) -> dict[str, Any] | None:
        """The components of the node's most recently recorded fingerprint."""
        row = self.connection.execute(
            "SELECT components FROM node_history WHERE pipeline = ? AND node = ?"
            " ORDER BY recorded DESC LIMIT 1",
            (pipeline, node),
        ).fetchone()
        return json.loads(row[0]) if row else None

    def components(self, pipeline: str, node: str, fingerprint: str) -> dict[str, Any] | None:
        """What one recorded fingerprint of a node was made of."""
        row = self.connection.execute(
            "SELECT components FROM node_history WHERE pipeline = ? AND node = ?"
            " AND fingerprint = ?", (pipeline, node, fingerprint)).fetchone()
        return json.loads(row[0]) if row else None

    # ------------------------------------------------------------------ file hashes

    def cached_file_hash(self, path: str, size: int, mtime_ns: int) -> str | None:
        """The stored hash when the file's size and mtime are unchanged."""
        row = self.connection.execute(
            "SELECT sha256 FROM file_hashes WHERE path = ? AND size = ? AND mtime_ns = ?",
            (path, size, mtime_ns),
        ).fetchone()
        return str(row[0]) if row else None

    def remember_file_hash(self, path: str, size: int, mtime_ns: int, digest: str) -> None:
        """Stores a file's hash with the size and mtime it was computed for."""
        with self.transaction() as tx:
            tx.execute("INSERT OR REPLACE INTO file_hashes VALUES (?, ?, ?, ?)",
                       (path, size, mtime_ns, digest))

    # ------------------------------------------------------------------ sweeps

    def record_sweep_batch(self, new_id: str, sweep_dir: str, objective: str | None,
                           direction: str, counts: Mapping[str, int],
                           jobs: list[dict[str, Any]]) -> str:
        """Adds one batch of jobs to the sweep of ``sweep_dir``.

        The first batch creates the sweep under ``new_id``; returns the sweep's id.
        ``counts`` (total_nodes, unique_nodes, n_ran, n_cached) add up over batches.
        """
        now = time.time()
        with self.transaction() as tx:
            row = tx.execute("SELECT id FROM sweeps WHERE sweep_dir = ?", (sweep_dir,)).fetchone()
            if row is None:
                sweep_id = new_id
                tx.execute(
                    "INSERT INTO sweeps (id, sweep_dir, started, objective, direction)"
                    " VALUES (?, ?, ?, ?, ?)", (sweep_id, sweep_dir, now, objective, direction))
            else:
                sweep_id = str(row[0])
            tx.execute(
                "UPDATE sweeps SET finished = ?, total_nodes = total_nodes + ?,"
                " unique_nodes = unique_nodes + ?, n_ran = n_ran + ?, n_cached = n_cached + ?"
                " WHERE id = ?",
                (now, counts["total_nodes"], counts["unique_nodes"], counts["n_ran"],
                 counts["n_cached"], sweep_id))
            tx.executemany(
                "INSERT OR REPLACE INTO sweep_jobs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(sweep_id, j["job"], j["run_id"], json.dumps(j["overrides"]), j["status"],
                  j["value"], json.dumps(j["metrics"]), j["error"]) for j in jobs])
        return sweep_id

    def sweeps(self, limit: int = 50) -> list[dict[str, Any]]:
        """The latest sweeps, newest first."""
        rows = self.connection.execute(
            "SELECT * FROM sweeps ORDER BY started DESC LIMIT ?", (limit,)).fetchall()
        return [dict(r) for r in rows]

    def sweep(self, sweep_id: str) -> dict[str, Any] | None:
        """One sweep's row."""
        row = self.connection.execute("SELECT * FROM sweeps WHERE id = ?", (sweep_id,)).fetchone()
        return dict(row) if row else None

    def sweep_jobs(self, sweep_id: str) -> list[dict[str, Any]]:
        """The jobs recorded for a sweep, by job number."""
        rows = self.connection.execute(
            "SELECT * FROM sweep_jobs WHERE sweep_id = ? ORDER BY job", (sweep_id,)
        ).fetchall()
        jobs = []
        for row in rows:
            job = dict(row)
            job["overrides"] = json.loads(job["overrides"])
            job["metrics"] = json.loads(job["metrics"]) if job["metrics"] else {}
            jobs.append(job)
        return jobs

