"""``assay report serve``: MkDocs' live-reloading server over pages kept in step with the store."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from assay.store import Store


def serve(store: Store, out: Path, port: int, resamples: int = 1000,
          poll_s: float = 1.0) -> None:
    """Builds the site, serves it on loopback and regenerates pages when the store changes.

    MkDocs' server watches ``docs/`` and rebuilds (and reloads open pages) when a page
    changes; a thread here regenerates the pages whenever the store's database is written.
    The site's MkDocs hook copies the exports into what is served, as in a build.
    """
    from mkdocs.commands.serve import serve as mkdocs_serve

    from assay.report.build import generate

    generate(store, out, resamples)
    stop = threading.Event()
    watcher = threading.Thread(target=_follow, args=(store.root, out, resamples, poll_s, stop),
                               daemon=True, name="assay-report-watch")
    watcher.start()
    try:
        mkdocs_serve(str(out / "mkdocs.yml"), dev_addr=f"127.0.0.1:{port}", livereload=True)
    finally:
        stop.set()


def _follow(root: Path, out: Path, resamples: int, poll_s: float, stop: threading.Event) -> None:
    """Regenerates the pages whenever the store at ``root`` changes, until ``stop`` is set.

    A failed regeneration is reported and the next change tried again: the server keeps
    showing the last pages that were generated.
    """
    from assay.report.build import generate

    store = Store(root)  # its own connection: SQLite connections stay in their thread
    try:
        seen = _stamp(store)
        while not stop.wait(poll_s):
            now = _stamp(store)
            if now == seen:
                continue
            seen = now
            try:
                generate(store, out, resamples)
            except Exception as error:  # the watcher must outlive one bad regeneration
                print(f"assay: rebuild failed: {error}", file=sys.stderr, flush=True)
    finally:
        store.close()


def _stamp(store: Store) -> tuple[float, ...]:
    """Modification times of the database and its write-ahead log."""
    files = [store.root / "assay.db", store.root / "assay.db-wal"]
    return tuple(f.stat().st_mtime if f.exists() else 0.0 for f in files)
