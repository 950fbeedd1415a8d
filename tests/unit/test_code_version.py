from __future__ import annotations

import importlib
import sys
import textwrap
from pathlib import Path

import pytest

from assay.code_version import hash_source


def _load(tmp_path: Path, name: str, source: str):  # type: ignore[no-untyped-def]
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
    sys.path.insert(0, str(tmp_path))
    try:
        sys.modules.pop(name, None)
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(tmp_path))


BASE = '''
def helper(x):
    return x + 1

def step(x):
    """Doc."""
    return helper(x) * 2
'''


@pytest.mark.parametrize(
    ("name", "changed", "same"),
    [
        ("doc", BASE.replace('"""Doc."""', '"""Another docstring."""'), True),
        ("comment", BASE.replace("return helper(x) * 2", "return helper(x) * 2  # why"), True),
        ("body", BASE.replace("* 2", "* 3"), False),
        ("helper", BASE.replace("x + 1", "x + 2"), False),
    ],
)
def test_code_version_follows_the_code_not_its_layout(
    tmp_path: Path, name: str, changed: str, same: bool
) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    before = hash_source(_load(tmp_path / "a", f"cv_{name}_a", BASE).step)
    after = hash_source(_load(tmp_path / "b", f"cv_{name}_b", changed).step)
    assert (before == after) is same
