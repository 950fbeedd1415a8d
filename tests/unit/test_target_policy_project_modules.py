"""The allow-list and the project's own modules: what lies under the project directory is
allowed, what it re-exports is judged where it is defined, and what cannot be told is refused."""

from __future__ import annotations

import importlib
import sys
import uuid
from pathlib import Path

import pytest

from assay.compiler.allowed_targets import TargetPolicy, Verdict

DENY = "is on assay's deny list (it can run code from files, the shell or the network)"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    return root


def _module(root: Path, text: str) -> str:
    name = f"projmod_{uuid.uuid4().hex[:10]}"
    (root / f"{name}.py").write_text(text)
    importlib.invalidate_caches()
    return name


def test_a_module_under_the_project_is_allowed(project: Path) -> None:
    name = _module(project, "def fit():\n    return 1\n")
    assert TargetPolicy(project).check(f"{name}.fit") == Verdict(True)


def test_a_package_under_the_project_is_allowed(project: Path) -> None:
    name = f"projpkg_{uuid.uuid4().hex[:10]}"
    (project / name).mkdir()
    (project / name / "__init__.py").write_text("")
    (project / name / "steps.py").write_text("def fit():\n    return 1\n")
    importlib.invalidate_caches()
    assert TargetPolicy(project).check(f"{name}.steps.fit") == Verdict(True)


def test_a_namespace_package_under_the_project_is_allowed(project: Path) -> None:
    name = f"projns_{uuid.uuid4().hex[:10]}"
    (project / name).mkdir()
    (project / name / "steps.py").write_text("def fit():\n    return 1\n")
    importlib.invalidate_caches()
    assert TargetPolicy(project).check(f"{name}.steps.fit") == Verdict(True)


def test_the_same_module_outside_the_project_is_refused(project: Path) -> None:
    name = _module(project, "def fit():\n    return 1\n")
    verdict = TargetPolicy(project / "elsewhere").check(f"{name}.fit")
    assert not verdict.allowed and not verdict.denied
    assert verdict.reason.startswith("it is outside the allowed modules")


def test_a_module_that_does_not_exist_is_no_project_module(project: Path) -> None:
    verdict = TargetPolicy(project).check("no_such_module_xyz_abc.fit")
    assert not verdict.allowed


def test_installed_and_built_in_modules_are_not_the_projects(tmp_path: Path) -> None:
    # the project directory holding the interpreter's library does not make it the project's
    library = Path(sys.base_prefix)
    policy = TargetPolicy(library)
    assert not policy.check("json.loads").allowed
    assert not policy.check("math.sqrt").allowed  # built in: no file at all
    assert not TargetPolicy(Path("/")).check("numpy.linalg.norm").allowed  # installed


def test_a_project_re_export_is_judged_where_it_is_defined(project: Path) -> None:
    name = _module(project, "from os import system\n")
    verdict = TargetPolicy(project).check(f"{name}.system")
    assert verdict == Verdict(False, f"'{name}.system' is 'os.system': 'os' {DENY}", denied=True)


def test_an_imported_project_module_is_judged_by_each_definition(project: Path) -> None:
    name = _module(project, "from os import system\n")
    importlib.import_module(name)  # live: its own name comes first, then where it is defined
    verdict = TargetPolicy(project).check(f"{name}.system")
    assert not verdict.allowed and verdict.denied
    assert verdict.reason.endswith(f"'posix' {DENY}")


def test_what_neither_reading_nor_importing_can_tell_is_refused(project: Path) -> None:
    name = _module(project, "VALUE = make()\nraise RuntimeError('no import')\n")
    assert TargetPolicy(project).check(f"{name}.VALUE") == Verdict(
        False, f"what '{name}.VALUE' names cannot be determined", denied=True)


def test_a_value_computed_at_import_is_judged_by_importing_the_module(project: Path) -> None:
    name = _module(project, "import json\nLOADS = getattr(json, 'loads')\n")
    assert TargetPolicy(project).check(f"{name}.LOADS").allowed is False  # json.loads: outside
