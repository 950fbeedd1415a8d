"""Shared fixtures: a throwaway assay project and a way to run the real command line."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of the repository's configs/ and pipelines/ in a temporary directory (the cwd)."""
    root = tmp_path / "project"
    root.mkdir()
    shutil.copytree(REPO / "configs", root / "configs")
    shutil.copytree(REPO / "pipelines", root / "pipelines")
    monkeypatch.chdir(root)
    yield root
