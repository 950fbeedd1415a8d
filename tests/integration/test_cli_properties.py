"""Property tests of ``assay plan`` with random override lists, through the real command line.

Each example runs ``assay plan`` in a subprocess in one temporary project with a random
list of overrides (values, ``+key=``, ``~key``, group options, dotted paths of random
depth, nested brackets, interpolations, quotes, unicode). Whatever the list holds, the
command exits 0 or 2, prints no traceback, ends within its timeout, and leaves the store
whole: no staging leftovers, no artifact without its manifest, no run left "running",
and no output directory (a plan writes none). The examples are a fixed set (derandomized)
so CI sees the same ones on every run.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.helpers import assay
from tests.unit.test_compiler_properties import alias_bomb, hostile_texts, mutated_specs, override_lists

REPO = Path(__file__).resolve().parents[2]
TIMEOUT = 120  # seconds; generous for shared machines, a hang is what it catches


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One project for every example: a store that examples share must stay whole too."""
    root = tmp_path_factory.mktemp("cli-properties")
    shutil.copytree(REPO / "configs", root / "configs")
    shutil.copytree(REPO / "pipelines", root / "pipelines")
    return root


def assert_store_whole(project: Path) -> None:
    store = project / ".assay"
    staging = store / "tmp"
    assert not staging.exists() or not list(staging.iterdir()), list(staging.iterdir())
    for entry in (store / "artifacts").glob("??/*"):
        assert (entry / "manifest.json").is_file(), f"{entry} has no manifest"
    database = store / "assay.db"
    if database.is_file():
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
            running = connection.execute("SELECT id FROM runs WHERE status = 'running'").fetchall()
        assert not running, running
    assert not (project / "outputs").exists(), "a plan wrote an output directory"


@given(override_lists(), st.booleans())
@settings(max_examples=25, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@example(["~data=1"], False)  # a ValueError out of Hydra's defaults list
@example(["data=[1,2]"], False)  # a TypeError out of Hydra's defaults list
@example([".".join(["a"] * 100) + "=1"], False)  # OSError: file name too long
@example(["+x=" + "{a:" * 100 + "1" + "}" * 100], False)  # RecursionError in Hydra's parser
@example(["+model.C=" + "9" * 5000], True)  # a ValueError out of Hydra's sweep parser
@example(["model=ridge", "data=diabetes", "split.test_size=0.3", "+model.alpha=2"], False)
@example(["model=ridge,logistic", "data=diabetes,wine"], True)
def test_assay_plan_exits_0_or_2_without_a_traceback(project: Path, overrides: list[str],
                                                     sweep: bool) -> None:
    overrides = [o.replace("\x00", "") for o in overrides]  # argv cannot hold a NUL byte
    try:
        result = assay("plan", *(["-m"] if sweep else []), *overrides, cwd=project, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"assay plan {overrides!r} did not end within {TIMEOUT} s")
    output = result.stdout + result.stderr
    assert result.returncode in (0, 2), (result.returncode, output)
    assert "Traceback" not in output, output
    if result.returncode == 2:
        assert result.stderr.startswith("assay: error: "), result.stderr
    else:
        assert result.stdout.strip(), "a plan is printed"
    assert_store_whole(project)


@given(st.one_of(mutated_specs(), hostile_texts()))
@settings(max_examples=10, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@example(alias_bomb(9, 10, "with"))
@example(b"steps: \xff\n")
def test_assay_plan_of_a_hostile_spec_exits_0_or_2_without_a_traceback(
        project: Path, text: str | bytes) -> None:
    spec = project / "pipelines" / "hostile.yaml"
    spec.write_bytes(text.encode() if isinstance(text, str) else text)
    try:
        result = assay("plan", "pipeline=hostile", cwd=project, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"assay plan did not end within {TIMEOUT} s for the spec:\n{text!r}")
    output = result.stdout + result.stderr
    assert result.returncode in (0, 2), (result.returncode, output)
    assert "Traceback" not in output, output
    assert_store_whole(project)
