"""Pausing Python's cyclic garbage collector around allocation-heavy work."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Pauses the cyclic garbage collector around allocation-heavy, cycle-free work.

    Compiling allocates hundreds of thousands of small objects; each allocation burst
    triggers full-heap collections that find nothing. Pausing them made a 10,000-node
    compile about 40% faster. A short-lived process can then skip the deferred
    collections altogether with :func:`freeze_long_lived`.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def freeze_long_lived() -> None:
    """Moves every object alive now out of the collector's reach (``gc.freeze``).

    For the command line, whose compiled plan and config live until the process
    exits: otherwise the first collection after compiling traverses all of them,
    about a second for a 10,000-node plan. Not for long-running processes.
    """
    gc.freeze()
