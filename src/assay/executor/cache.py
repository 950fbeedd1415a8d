"""Cache decisions: which plan nodes can be taken from the store, and why the rest run.

A node is cached when its entry is complete on disk (manifest present, every file of
the recorded size). An entry that was published but is damaged now (a truncated or
missing file) is ``output corrupt``, with what is wrong as the detail. A cached node
whose outputs will actually be read (by a node that runs, or as the run's metrics) is
also checksum-verified first; one that fails is run again, which may in turn require
its own inputs, so the check repeats until nothing changes. Deciding changes nothing on
disk: the damaged copy stays until the fresh result replaces it (and it is moved to
``artifacts/.corrupt``), so a corrupt entry is a miss, never an error mid-run.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from assay.compiler.plan import Plan, PlanNode
from assay.store import Store

CACHED = "cached"
RUN = "run"
CORRUPT = "output corrupt"


@dataclass(frozen=True)
class NodeStatus:
    """Whether a node runs and why.

    Attributes:
        status: ``cached`` or ``run``.
        reason: ``cached``, ``new``, ``code changed``, ``parameter changed``,
            ``data changed``, ``input changed``, ``output missing`` or ``output corrupt``.
        detail: What changed, e.g. ``estimator.C: 1.0 -> 0.5``.
    """

    status: str
    reason: str
    detail: str = ""


def decide(
    plan: Plan, store: Store, checked: dict[str, bool] | None = None
) -> dict[str, NodeStatus]:
    """The status of every node of ``plan``.

    Args:
        plan: The compiled plan.
        store: Where cached entries live.
        checked: Fingerprint → verification result, shared between the plans of a sweep
            so that an entry several jobs read is checksummed once.
    """
    checked = {} if checked is None else checked
    statuses: dict[str, NodeStatus] = {}
    for node in plan:
        problem = store.artifacts.problem(node.fingerprint, list(node.outputs))
        if problem is None:
            statuses[node.id] = NodeStatus(CACHED, CACHED)
        elif store.artifacts.published(node.fingerprint):
            statuses[node.id] = NodeStatus(RUN, CORRUPT, problem)
        else:
            previous = store.metadata.previous_components(plan.pipeline, node.id)
            statuses[node.id] = explain(node, previous)
    verified: set[str] = set()
    while True:
        needed = _needed(plan, statuses) - verified
        if not needed:
            return statuses
        for node_id in sorted(needed):
            verified.add(node_id)
            fingerprint = plan.node(node_id).fingerprint
            problem = None
            if fingerprint not in checked:
                problem = store.artifacts.problem(fingerprint, checksums=True)
                checked[fingerprint] = problem is None
            if not checked[fingerprint]:
                # Left in place: the fresh result replaces it (and moves it aside) when stored.
                statuses[node_id] = NodeStatus(RUN, CORRUPT, problem or "checksum mismatch")


def _needed(plan: Plan, statuses: Mapping[str, NodeStatus]) -> set[str]:
    """Cached nodes whose outputs this run will read."""
    needed = {s.node for s in plan.metrics if s.node in plan}
    for node_id, status in statuses.items():
        if status.status == RUN:
            needed.update(plan.producers(node_id))
    return {n for n in needed if statuses[n].status == CACHED}


def explain(node: PlanNode, previous: Mapping[str, Any] | None) -> NodeStatus:
    """Why ``node`` must run, by comparing its fingerprint components with the last ones."""
    current = json.loads(json.dumps(node.components))
    if previous is None:
        return NodeStatus(RUN, "new")
    if previous == current:
        return NodeStatus(RUN, "output missing")
    if previous.get("code") != current.get("code") or previous.get("targets") != current.get(
        "targets"
    ):
        return NodeStatus(RUN, "code changed", f"step {node.step}")
    changed_params = _diff(previous.get("params", {}), current.get("params", {}))
    if changed_params:
        return NodeStatus(RUN, "parameter changed", "; ".join(changed_params))
    if previous.get("files") != current.get("files"):
        return NodeStatus(RUN, "data changed", ", ".join(sorted(current.get("files", {}))))
    changed_inputs = sorted(
        name
        for name in set(previous.get("inputs", {})) | set(current.get("inputs", {}))
        if previous.get("inputs", {}).get(name) != current.get("inputs", {}).get(name)
    )
    return NodeStatus(RUN, "input changed", ", ".join(changed_inputs))


def _diff(before: Any, after: Any, prefix: str = "") -> list[str]:
    if isinstance(before, dict) and isinstance(after, dict):
        changes = []
        for key in sorted(set(before) | set(after)):
            path = f"{prefix}.{key}" if prefix else key
            if key not in before:
                changes.append(f"{path}: added {_short(after[key])}")
            elif key not in after:
                changes.append(f"{path}: removed")
            else:
                changes.extend(_diff(before[key], after[key], path))
        return changes
    if before != after:
        return [f"{prefix}: {_short(before)} -> {_short(after)}"]
    return []


def _short(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."
