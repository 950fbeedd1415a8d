"""A project-local ``_target_`` gets one code version, imported or not.

The compiler reads a module it has not imported from disk (the static path) and
inspects one that is imported (the live path); both must hash the same code, helpers
included, or ``assay reproduce`` reports a false "code changed".
"""

from __future__ import annotations

import importlib
import linecache
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

from assay.code_version import hash_source
from assay.compiler import targets
from assay.compiler.targets import inspect_target

MODELS = '''
"""Project models."""
import math

SCALE = 2.0


def _penalty(x):
    """Helper: the penalty term."""
    return math.sqrt(x) * SCALE


class _Base:
    def __init__(self, width, depth=2):
        self.width = width

    def score(self, x):
        return _penalty(x)


class Plain:
    """No helpers at all."""

    def __init__(self, alpha=1.0):
        self.alpha = alpha


class WithHelpers(_Base):
    def fit(self, x):
        return _penalty(x) + 1


def make_model(width=3):
    return WithHelpers(width)
'''

COUNTER = iter(range(10_000))


@pytest.fixture
def project_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Path]]:
    """A fresh, never-imported package ``NAME`` with ``NAME/models.py``; caches cleared."""
    name = f"hashpaths_{next(COUNTER)}_{tmp_path.name[-8:].replace('-', '_')}"
    package = tmp_path / name
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "models.py").write_text(MODELS)
    monkeypatch.syspath_prepend(str(tmp_path))
    _clear_caches()
    yield name, package / "models.py"
    for module in [m for m in sys.modules if m == name or m.startswith(f"{name}.")]:
        del sys.modules[module]
    _clear_caches()


def _clear_caches() -> None:
    targets._parse.cache_clear()
    inspect_target.cache_clear()


def _static(path: str) -> str | None:
    _clear_caches()
    assert path.rsplit(".", 2)[0] not in sys.modules
    return inspect_target(path).code_version


def _live(path: str) -> str | None:
    module_name, _, _ = path.rpartition(".")
    importlib.import_module(module_name)
    _clear_caches()
    return inspect_target(path).code_version


@pytest.mark.parametrize("target", ["Plain", "WithHelpers", "make_model"])
def test_static_and_live_paths_give_the_same_code_version(
        project_module: tuple[str, Path], target: str) -> None:
    name, _ = project_module
    path = f"{name}.models.{target}"
    static = _static(path)
    assert static is not None
    live = _live(path)
    assert live == static
    module = sys.modules[f"{name}.models"]
    assert hash_source(getattr(module, target)) == static


@pytest.mark.parametrize(
    ("edit", "changes"),
    [
        (("return math.sqrt(x) * SCALE", "return math.sqrt(x) * SCALE * 3"), {"WithHelpers"}),
        (("SCALE = 2.0", "SCALE = 3.0"), {"WithHelpers"}),
        (("def __init__(self, width, depth=2)", "def __init__(self, width, depth=4)"),
         {"WithHelpers"}),
        (("self.alpha = alpha", "self.alpha = -alpha"), {"Plain"}),
        (('"""Helper: the penalty term."""', '"""Another docstring."""'), set()),
        (("return _penalty(x) + 1", "return _penalty(x) + 1  # a comment"), set()),
    ],
)
@pytest.mark.parametrize("path_kind", ["static", "live"])
def test_an_edit_changes_exactly_the_code_that_uses_it(
        project_module: tuple[str, Path], edit: tuple[str, str], changes: set[str],
        path_kind: str) -> None:
    name, file = project_module
    names = ("Plain", "WithHelpers")
    read = _static if path_kind == "static" else _live
    before = {t: read(f"{name}.models.{t}") for t in names}
    assert MODELS.count(edit[0]) == 1
    file.write_text(MODELS.replace(*edit))
    sys.modules.pop(f"{name}.models", None)
    after = {t: read(f"{name}.models.{t}") for t in names}
    assert {t for t in names if before[t] != after[t]} == changes
    # a function target that builds the class follows the edit through it
    if "WithHelpers" in changes:
        file.write_text(MODELS)
        sys.modules.pop(f"{name}.models", None)
        original = read(f"{name}.models.make_model")
        file.write_text(MODELS.replace(*edit))
        sys.modules.pop(f"{name}.models", None)
        assert read(f"{name}.models.make_model") != original



def _cell_module(name: str, source: str, monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    """A module as a notebook makes one: code in a cell, no file for the whole module."""
    module = types.ModuleType(name)
    monkeypatch.setitem(sys.modules, name, module)
    filename = f"<cell-{name}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), module.__dict__)
    return module


CELL = '''
def helper(x):
    return x + 1

def step(x):
    return helper(x) * 2
'''


@pytest.mark.parametrize(("edit", "same"), [(("* 2", "* 2"), True), (("x + 1", "x + 2"), False)])
def test_code_in_a_notebook_cell_follows_its_helpers(
        edit: tuple[str, str], same: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    before = hash_source(_cell_module("cell_a", CELL, monkeypatch).step)
    after = hash_source(_cell_module("cell_b", CELL.replace(*edit), monkeypatch).step)
    assert (before == after) is same
