"""Helpers for tests that drive the real command line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def assay(*args: str, cwd: Path, env: dict[str, str] | None = None,
          timeout: float = 240) -> subprocess.CompletedProcess[str]:
    """Runs ``python -m assay ARGS`` in ``cwd`` and returns the finished process."""
    full_env = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "assay", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def assert_clean_error(result: subprocess.CompletedProcess[str], code: int = 2) -> str:
    """The run failed with ``code``, said why on stderr and printed no traceback."""
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stderr.strip(), "an error must say what went wrong"
    return result.stderr


CALL_NOTING_STEPS = '''
import time
from pathlib import Path

from assay.artifacts import Metrics
from assay.catalog import step


def _note(name):
    with open("calls.log", "a") as log:
        log.write(name + "\\n")
'''
"""The head of a step module for tests: ``_note(name)`` appends to ``calls.log`` in the cwd."""


def noted_calls(project: Path) -> list[str]:
    """The step names ``_note`` recorded in ``project``, in order."""
    return (project / "calls.log").read_text().split()
