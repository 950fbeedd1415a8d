"""Crash safety: runs and sweeps killed with SIGKILL at random moments never damage the store.

Each round starts `assay run` (the default pipeline, or a small sweep) on work that is not
cached yet, kills the main process with SIGKILL after a random delay, checks that every
process it started is gone within seconds, and runs the same command again, which must
complete. At the end `assay verify` passes, no run is left "running" and every registered
version's model artifact is there.

The quick variant (5 rounds) runs in the default suite; the full one (20 rounds) is marked
``soak`` and run by ``make soak``.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import assay

SETTLE_S = 10.0
"""How long the processes a killed run started may take to notice and exit."""


def _session_members(session: int) -> list[int]:
    """Pids of live processes in ``session`` (zombies excluded: they are already gone)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Fields after the command name, which is in parentheses and may hold spaces.
        fields = stat[stat.rindex(")") + 2:].split()
        state, sid = fields[0], int(fields[3])
        if sid == session and state != "Z":
            members.append(int(entry.name))
    return members


def _command(round_number: int) -> list[str]:
    """A command whose model steps are not cached yet: a new C each round."""
    c_value = 1.0 + round_number / 8
    if round_number % 2:
        return ["run", "-m", f"model.C={c_value},{c_value + 0.05}"]
    return ["run", f"model.C={c_value}"]


def _kill_at_random(project: Path, args: list[str], delay_s: float) -> bool:
    """Whether the kill landed while the run was still going."""
    # A session of its own: everything the run starts stays in it (unless it leaves on
    # purpose), so what outlives the kill can be found by session id.
    process = subprocess.Popen(
        [sys.executable, "-m", "assay", *args], cwd=project, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    time.sleep(delay_s)
    landed = process.poll() is None
    if landed:
        process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    deadline = time.monotonic() + SETTLE_S
    while (left := _session_members(process.pid)) and time.monotonic() < deadline:
        time.sleep(0.1)
    try:
        assert not left, f"processes outlived the killed run {args} by {SETTLE_S} s: {left}"
    finally:
        for pid in left:  # only what this test started, so later rounds start clean
            os.kill(pid, signal.SIGKILL)
    return landed


def _soak(project: Path, rounds: int, seed: int) -> None:
    chance = random.Random(seed)
    kills = attempt = 0
    # A kill that comes after the run finished proves nothing: such a round is not counted
    # and the next one kills sooner. Every attempt changes C, so there is always work to cut.
    while kills < rounds:
        assert attempt < 3 * rounds, f"only {kills} of {attempt} kills landed mid-run"
        args = _command(attempt)
        delay = chance.uniform(0.2, 4.0 if attempt < rounds else 1.0)
        kills += _kill_at_random(project, args, delay)
        rerun = assay(*args, cwd=project)
        assert rerun.returncode == 0, (attempt, delay, rerun.stdout, rerun.stderr)
        assert "Traceback" not in rerun.stderr
        attempt += 1

    verified = assay("verify", "--json", cwd=project)
    assert verified.returncode == 0, (verified.stdout, verified.stderr)
    runs = json.loads(assay("runs", "list", "--limit", "1000", "--json", cwd=project).stdout)
    assert runs and all(r["status"] != "running" for r in runs), [r["status"] for r in runs]
    versions = json.loads(assay("models", "list", "--json", cwd=project).stdout)
    assert versions, "the reruns registered models"


def test_killed_runs_and_sweeps_leave_a_sound_store(project: Path) -> None:
    _soak(project, rounds=5, seed=14)


@pytest.mark.soak
def test_twenty_random_kills_leave_a_sound_store(project: Path) -> None:
    _soak(project, rounds=20, seed=int(os.environ.get("ASSAY_SOAK_SEED", "2026")))
