"""The engine: prepare (validate, compile, decide the cache) and execute a run.

Used by the command line and by the Hydra launcher alike.
"""

from assay.engine.execute import RunReport, execute, raise_for_failures
from assay.engine.prepare import PreparedRun, prepare

__all__ = ["PreparedRun", "RunReport", "execute", "prepare", "raise_for_failures"]
