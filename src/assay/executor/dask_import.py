"""Importing Dask's ``distributed`` without it overriding the logging already configured.

On import, ``distributed`` sets its logger to INFO; in a Hydra app that has configured
``distributed`` to WARNING (assay's Hydra logging does), an embedded cluster's start-up
and shut-down chatter would then reach the terminal. Importing it lazily, wherever it is
first needed, must not change what the app asked for.
"""

from __future__ import annotations

import logging
from types import ModuleType


def import_distributed() -> ModuleType:
    """``import distributed``, keeping the level set on its logger before (if any)."""
    logger = logging.getLogger("distributed")
    level = logger.level
    import distributed

    if level != logging.NOTSET:
        logger.setLevel(level)
    return distributed
