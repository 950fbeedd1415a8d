"""What the machine refuses, or the command line cannot hold, is a message and an exit
code: never a Python traceback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.helpers import assay, assert_clean_error

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="mounts, /proc")

STEPS = '''
import time
from pathlib import Path

from assay.artifacts import Metrics
from assay.catalog import step


@step(outputs={"metrics": Metrics})
def first(*, value: float) -> Metrics:
    return Metrics({"value": value})


@step(outputs={"metrics": Metrics})
def slow(upstream: Metrics) -> Metrics:
    if Path("block").exists():
        time.sleep(600)
    return Metrics({"value": upstream["value"] * 2})
'''

PIPELINE = """
steps:
  first: {uses: "quietsteps:first", with: {value: 5.0}}
  slow: {uses: "quietsteps:slow", inputs: {upstream: first.metrics}}
metrics: [slow.metrics]
"""


@pytest.fixture
def quiet(project: Path) -> Path:
    """A project with a two-step pipeline ``quiet`` (its second step blocks while ``block`` exists)."""
    (project / "quietsteps.py").write_text(STEPS)
    (project / "pipelines" / "quiet.yaml").write_text(textwrap.dedent(PIPELINE))
    return project


@pytest.fixture
def mount_point(tmp_path: Path) -> Iterator[Callable[..., Path]]:
    """Mounts small tmpfs file systems (root only: permission bits do not stop root)."""
    mounted: list[Path] = []

    def mount(name: str, size: str = "16m") -> Path:
        target = tmp_path / name
        target.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(target)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
        mounted.append(target)
        return target

    if os.geteuid() != 0:
        pytest.skip("needs root to mount a read-only file system")
    yield mount
    for target in reversed(mounted):
        subprocess.run(["umount", "-l", str(target)], check=False)


def read_only(target: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(target)], check=True)


def test_a_read_only_store_is_a_message(quiet: Path, mount_point: Callable[..., Path]) -> None:
    disk = mount_point("ro")
    store = disk / "store"
    assert assay("run", "pipeline=quiet", "executor=threads", f"store.root={store}",
                 cwd=quiet).returncode == 0
    read_only(disk)
    result = assay("run", "pipeline=quiet", "executor=threads", f"store.root={store}", cwd=quiet)
    stderr = assert_clean_error(result, code=1)
    assert (f"assay: error: cannot write the store's database {store / 'assay.db'}: it is "
            "read-only (a read-only file system, or no write permission) (SQLite: attempt to "
            "write a readonly database)") in stderr
    assert "hint: make the store directory writable, or set store.root to a writable" in stderr


def test_a_store_that_cannot_be_created_names_the_override(
        quiet: Path, mount_point: Callable[..., Path]) -> None:
    disk = mount_point("ro-empty")
    read_only(disk)
    result = assay("run", "pipeline=quiet", "executor=threads", f"store.root={disk}/store",
                   cwd=quiet)
    stderr = assert_clean_error(result, code=2)
    assert (f"assay: error: command line 'store.root={disk}/store': cannot create or write "
            f"'{disk}/store': Read-only file system") in stderr


def fill(disk: Path) -> None:
    """Writes zeros into ``disk`` until it has no space left."""
    with open(disk / "filler", "wb") as filler:
        try:
            while True:
                filler.write(bytes(64 * 1024))
                filler.flush()
        except OSError:
            pass


def test_a_full_disk_is_a_message_and_no_run_is_recorded_succeeded(
        quiet: Path, mount_point: Callable[..., Path]) -> None:
    disk = mount_point("full", size="2m")
    store = disk / "store"
    assert assay("run", "pipeline=quiet", "executor=threads", f"store.root={store}",
                 cwd=quiet).returncode == 0
    fill(disk)
    result = assay("run", "pipeline=quiet", "executor=threads", f"store.root={store}",
                   "+trial=2", cwd=quiet)
    stderr = assert_clean_error(result, code=1)
    assert (f"assay: error: cannot write the store's database {store / 'assay.db'}: the disk "
            "holding it is full (SQLite: database or disk is full)") in stderr
    (disk / "filler").unlink()
    runs = json.loads(assay("runs", "list", "--json", "--store", str(store), cwd=quiet).stdout)
    assert [run["status"] for run in runs][-1] == "succeeded"  # the first run
    assert all(run["status"] != "succeeded" for run in runs[:-1])


FULL_DISK_AT_REGISTRATION = """
import sqlite3
import assay.registry


def register(self, new):
    # What SQLite raises when the commit finds the disk full (SQLITE_FULL).
    raise sqlite3.OperationalError("database or disk is full")


assay.registry.ModelRegistry.register = register
from assay.cli import entry

entry()
"""


def test_a_full_disk_at_registration_is_a_message_and_the_run_is_not_succeeded(
        project: Path) -> None:
    # A fault injected where the registry writes: arranging for a real disk to fill up
    # between the run's record and its registration cannot be done deterministically.
    env = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    result = subprocess.run([sys.executable, "-c", FULL_DISK_AT_REGISTRATION, "run",
                             "executor=threads"], cwd=project, env=env, capture_output=True,
                            text=True, timeout=240)
    stderr = assert_clean_error(result, code=1)
    assert (f"assay: error: cannot write the store's database {project / '.assay' / 'assay.db'}: "
            "the disk holding it is full (SQLite: database or disk is full)") in stderr
    assert "hint: free some space and run again: finished steps are cached" in stderr
    runs = json.loads(assay("runs", "list", "--json", cwd=project).stdout)
    assert [run["status"] for run in runs] == ["failed"]


FULL_DISK_FROM_REGISTRATION_ON = FULL_DISK_AT_REGISTRATION.replace(
    "assay.registry.ModelRegistry.register = register\n",
    "assay.registry.ModelRegistry.register = register\n"
    "import assay.store.metadata\n"
    "assay.store.metadata.MetadataStore.mark_run = lambda *args: register(None, None)\n",
)


def test_a_run_whose_failed_registration_cannot_be_recorded_is_never_succeeded(
        project: Path) -> None:
    # The disk stays full: recording that registration failed fails too. The run was
    # recorded as running until registered, so the next command finds it interrupted.
    env = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    result = subprocess.run([sys.executable, "-c", FULL_DISK_FROM_REGISTRATION_ON, "run",
                             "executor=threads"], cwd=project, env=env, capture_output=True,
                            text=True, timeout=240)
    assert_clean_error(result, code=1)
    runs = json.loads(assay("runs", "list", "--json", cwd=project).stdout)
    assert [run["status"] for run in runs] == ["interrupted"]


@pytest.mark.parametrize(("override", "shown"), [
    ("hydra.run.dir=/dev/null/x", "'/dev/null/x': Not a directory"),
    ("hydra.sweep.dir=/dev/null/y", "'/dev/null/y': Not a directory"),
])
def test_an_output_directory_that_cannot_be_made_is_a_message(
        quiet: Path, override: str, shown: str) -> None:
    sweep = ["-m", "+trial=1,2"] if "sweep" in override else []
    result = assay("run", *sweep, "pipeline=quiet", "executor=threads", override, cwd=quiet)
    stderr = assert_clean_error(result, code=2)
    assert f"assay: error: command line '{override}': cannot create or write {shown}" in stderr
    assert "hydra.run.dir, or hydra.sweep.dir for -m, is where each run writes its files" in stderr


def test_an_unwritable_sweep_directory_is_a_message(
        quiet: Path, mount_point: Callable[..., Path]) -> None:
    disk = mount_point("ro-sweep")
    read_only(disk)
    override = f"hydra.sweep.dir={disk}/sweep"
    result = assay("run", "-m", "pipeline=quiet", "executor=threads", "+trial=1,2", override,
                   cwd=quiet)
    stderr = assert_clean_error(result, code=2)
    assert (f"assay: error: command line '{override}': cannot create or write '{disk}/sweep': "
            "Read-only file system") in stderr


DEEP_KEY = ".".join(f"level{i:02d}" for i in range(100))


@pytest.mark.parametrize("command", ["run", "plan"])
def test_a_dotted_override_100_levels_deep_is_a_message(project: Path, command: str) -> None:
    result = assay(command, f"+{DEEP_KEY}=1", cwd=project)
    stderr = assert_clean_error(result, code=2)
    assert "the key is 799 characters long" in stderr
    assert "expected: at most 200 characters between slashes" in stderr


def test_a_short_dotted_override_100_levels_deep_is_accepted(project: Path) -> None:
    result = assay("plan", "+" + ".".join(["a"] * 100) + "=1", cwd=project)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("command", ["run", "plan"])
@pytest.mark.parametrize("value", ["{a:" * 100 + "1" + "}" * 100, "[" * 100 + "1" + "]" * 100])
def test_an_override_nested_100_levels_deep_is_a_message(
        project: Path, command: str, value: str) -> None:
    result = assay(command, f"+deep={value}", cwd=project)
    stderr = assert_clean_error(result, code=2)
    assert "key 'deep': the value nests 100 levels deep" in stderr
    assert "expected: at most 32 levels of nested [], {}, () and ${}" in stderr


@pytest.mark.parametrize(("override", "shown"), [
    ("data=1", "'data' is a config group: its value names an option"),
    ("~data=1", "'data' is a config group: its value names an option"),
    ("+model.C=" + "9" * 5000, "a value cannot be read"),
])
def test_run_refuses_what_hydra_parses_but_cannot_use(
        project: Path, override: str, shown: str) -> None:
    result = assay("run", override, "executor=threads", cwd=project)
    stderr = assert_clean_error(result, code=2)
    assert shown in stderr


def _children(pid: int) -> list[int]:
    found = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{entry}/stat") as stat:
                if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry))
        except OSError:
            continue
    return found


def _has_grandchildren(pid: int) -> bool:
    return any(_children(child) for child in _children(pid))


@pytest.mark.parametrize("moment", [
    "resource tracker started", "worker server importing", "worker server +0.4s",
    "worker server +1s", "worker started",
])
def test_ctrl_c_during_start_up_is_a_message(quiet: Path, moment: str) -> None:
    (quiet / "block").touch()
    env = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    run = subprocess.Popen([sys.executable, "-m", "assay", "run", "pipeline=quiet",
                            "executor=processes"], cwd=quiet, env=env, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        wanted = 1 if moment == "resource tracker started" else 2
        deadline = time.monotonic() + 120
        while len(_children(run.pid)) < wanted and run.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0.005)
        if moment.endswith("s"):
            time.sleep(float(moment.rsplit("+", 1)[1].rstrip("s")))
        elif moment == "worker started":
            while not _has_grandchildren(run.pid) and run.poll() is None:
                assert time.monotonic() < deadline
                time.sleep(0.01)
        os.killpg(run.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
        stdout, stderr = run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
    assert run.returncode == 130, (stdout, stderr)
    assert "Traceback" not in stderr + stdout
    assert "assay: interrupted" in stderr


def test_a_reader_that_goes_away_ends_the_output_quietly(quiet: Path) -> None:
    assert assay("run", "pipeline=quiet", "executor=threads", cwd=quiet).returncode == 0
    reader, writer = os.pipe()
    os.close(reader)  # `assay runs list | head -0`: nobody reads the output
    try:
        result = subprocess.run([sys.executable, "-m", "assay", "runs", "list"], cwd=quiet,
                                stdout=writer, stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(writer)
    assert result.returncode == 141, result.stderr
    assert result.stderr == ""

