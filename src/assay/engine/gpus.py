"""Refusing, before anything runs, a plan that needs GPUs its executor does not have.

Dask would otherwise wait forever for a worker offering the ``GPU`` resource.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from assay.compiler.plan import Plan
from assay.config.validate import ConfigOrigin
from assay.errors import ConfigError, Problem


def check_gpus(plan: Plan, to_run: Iterable[str], capacity: Callable[[], int | None],
               origin: ConfigOrigin | None = None) -> None:
    """Raises ConfigError (exit 2) naming each node's device key when GPUs are missing.

    ``capacity`` is asked only when some node that must run needs a GPU; None means it
    cannot be known yet (a cluster not connected to), and nothing is refused.
    """
    needing = [plan.node(n) for n in to_run if plan.node(n).resources.gpu]
    if not needing:
        return
    available = capacity()
    if available is None or available >= max(n.resources.gpu for n in needing):
        return
    problems = []
    elsewhere = "run where there are GPU workers (executor=dask with GPU workers)"
    for node in needing:
        owner = node.config_keys.get("estimator")
        key = f"{owner}.device" if owner else None
        problems.append(Problem(
            f"step '{node.id}' needs a GPU" + (f" ({key} is CUDA)" if key else "")
            + f", but the executor has {available} GPU(s)",
            file=origin.where(key) if origin is not None and key else None,
            step=node.id,
            key=key,
            expected="a device the executor has",
            hint=(f"set {key}=auto to use a GPU when there is one and the CPU otherwise, or "
                  f"{elsewhere}") if key else elsewhere,
        ))
    raise ConfigError(problems)
