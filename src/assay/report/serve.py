"""``assay report serve``: MkDocs' live-reloading server over pages kept in step with the store."""

from __future__ import annotations

import threading
from pathlib import Path

from assay.store import Store


def serve(store: Store, out: Path, port: int, resamples: int = 1000,
          poll_s: float = 1.0) -> None:
    """Builds the site, serves it on loopback and regenerates pages when the store changes.

    MkDocs' server watches ``docs/`` and rebuilds (and reloads open pages) when a page
    changes; a thread here regenerates the pages whenever the store's database is written.
    """
    from mkdocs.commands.serve import serve as mkdocs_serve

    from assay.report.build import generate

    generate(store, out, resamples)
    stop = threading.Event()
    watcher = threading.Thread(target=_follow, args=(store, out, resamples, poll_s, stop),
                               daemon=True, name="assay-report-watch")
    watcher.start()
    try:
        mkdocs_serve(str(out / "mkdocs.yml"), dev_addr=f"127.0.0.1:{port}", livereload=True)
    finally:
        stop.set()


def _follow(store: Store, out: Path, resamples: int, poll_s: float, stop: threading.Event) -> None:
    from assay.report.build import generate

    seen = _stamp(store)
    while not stop.wait(poll_s):
        now = _stamp(store)
        if now != seen:
            seen = now
            generate(Store(store.root), out, resamples)  # its own connection: another thread


def _stamp(store: Store) -> tuple[float, ...]:
    """Modification times of the database and its write-ahead log."""
    files = [store.root / "assay.db", store.root / "assay.db-wal"]
    return tuple(f.stat().st_mtime if f.exists() else 0.0 for f in files)
