"""`make demo` works from a fresh clone with nothing but Python: venv, install, default run."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]


def test_make_demo_from_a_fresh_clone(tmp_path: Path) -> None:
    assert shutil.which("git") and shutil.which("make"), "the quick start needs git and make"
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True)
    assert not (clone / ".venv").exists()
    demo = subprocess.run(["make", "demo"], cwd=clone, capture_output=True, text=True,
                          timeout=900)
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    assert "pipeline 'train': 9 steps: 9 ran, 0 from cache" in demo.stdout
    assert "roc_auc" in demo.stdout
    again = subprocess.run(["make", "demo"], cwd=clone, capture_output=True, text=True,
                           timeout=300)
    assert "9 steps: 0 ran, 9 from cache" in again.stdout
