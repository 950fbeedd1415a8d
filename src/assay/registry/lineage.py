"""What a version records about the code and libraries that produced it."""

from __future__ import annotations

import functools
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

PACKAGES: tuple[str, ...] = ("assay", "scikit-learn", "torch", "pandas", "numpy", "hydra-core")
"""The distributions whose versions change what a model is (torch: None when absent)."""


@functools.cache
def package_versions() -> dict[str, str | None]:
    """Python's version and each of :data:`PACKAGES`' (read from metadata, not imported)."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def code_state(directory: Path) -> dict[str, Any]:
    """The git commit checked out in ``directory`` and whether tracked files differ from it.

    Outside a git work tree (or without git) both are None: recorded as unknown, never
    guessed.
    """
    commit = _git(directory, "rev-parse", "HEAD")
    if commit is None:
        return {"commit": None, "dirty": None}
    status = _git(directory, "status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": None if status is None else bool(status)}


def _git(directory: Path, *args: str) -> str | None:
    try:
        result = subprocess.run(["git", "-C", str(directory), *args], capture_output=True,
                                text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() if result.returncode == 0 else None
