"""``assay report serve``'s watcher: one store, closed at the end, outliving a failed rebuild."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from assay.report import serve
from assay.store import Store


def _write_until(database: Path, condition: Any, timeout: float = 10.0) -> bool:
    """Gives ``database`` a new modification time every 50 ms until ``condition`` holds."""
    deadline = time.monotonic() + timeout
    step = 0
    while time.monotonic() < deadline:
        if condition():
            return True
        step += 1
        later = time.time() + step
        os.utime(database, (later, later))
        time.sleep(0.05)
    return False


def test_the_watcher_reuses_one_store_reports_a_failed_rebuild_and_keeps_going(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / ".assay"
    Store(root).metadata.connection.close()  # creates assay.db
    opened: list[Store] = []
    closed: list[Store] = []

    class Recorded(Store):
        def __init__(self, where: Path) -> None:
            super().__init__(where)
            opened.append(self)

        def close(self) -> None:
            closed.append(self)
            super().close()

    calls: list[Store] = []

    def generate(store: Store, out: Path, resamples: int) -> None:
        calls.append(store)
        if len(calls) == 1:
            raise RuntimeError("the store changed under us")

    import assay.report.build

    monkeypatch.setattr(serve, "Store", Recorded)
    monkeypatch.setattr(assay.report.build, "generate", generate)
    stop = threading.Event()
    watcher = threading.Thread(target=serve._follow, args=(root, tmp_path / "site", 10, 0.02, stop))
    watcher.start()
    try:
        assert _write_until(root / "assay.db", lambda: len(calls) >= 2)  # on after the failure
    finally:
        stop.set()
        watcher.join(timeout=10)
    assert not watcher.is_alive()
    assert "assay: rebuild failed: the store changed under us" in capsys.readouterr().err
    assert len(opened) == 1 and set(map(id, calls)) == {id(opened[0])} and closed == opened
