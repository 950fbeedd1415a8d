"""What ``assay run`` and ``assay plan`` print."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from assay.cli.output import format_metrics
from assay.compiler.plan import Plan
from assay.config.secrets import masked_like
from assay.engine import PreparedRun, RunReport
from assay.executor.cache import CACHED, NodeStatus


def print_run_summary(report: RunReport, prepared: PreparedRun) -> None:
    """One line of counts, then the headline metrics."""
    ran, cached = report.count("ran"), report.count("cached")
    failed, skipped = report.count("failed"), report.count("skipped")
    parts = [f"{ran} ran", f"{cached} from cache"]
    if failed:
        parts.append(f"{failed} failed")
    if skipped:
        parts.append(f"{skipped} skipped")
    total = len(report.records)
    note = " (nothing to run: all from cache)" if cached == total else ""
    print(
        f"assay: pipeline '{report.pipeline}': {total} steps: {', '.join(parts)}"
        f" in {report.duration:.2f}s{note} [run {report.run_id}]",
        flush=True,
    )
    shown = format_metrics(report.metrics)
    if shown:
        print(f"assay: metrics: {shown}", flush=True)
    for registration in report.registrations:
        for line in registration.describe():
            print(f"assay: {line}", flush=True)


def plan_as_json(prepared: PreparedRun) -> dict[str, Any]:
    """The plan as one JSON object with a ``nodes`` list."""
    nodes = nodes_as_json(prepared.plan, prepared.statuses)
    cached = sum(1 for n in nodes if n["status"] == CACHED)
    return {
        "pipeline": prepared.plan.pipeline,
        "spec": prepared.plan.spec_file,
        "store": str(prepared.store.root),
        "nodes": nodes,
        "summary": {"total": len(nodes), "cached": cached, "run": len(nodes) - cached},
    }


def nodes_as_json(plan: Plan, statuses: Mapping[str, NodeStatus]) -> list[dict[str, Any]]:
    """Every node of ``plan`` with its status, in plan order."""
    nodes = []
    for node in plan:
        status = statuses[node.id]
        nodes.append({
            "id": node.id,
            "step": node.step,
            "fingerprint": node.fingerprint,
            "status": status.status,
            "reason": status.reason,
            "detail": status.detail,
            "inputs": {b.name: [f"{s.node}.{s.output}" for s in b.sources] for b in node.inputs},
            "outputs": dict(node.outputs),
            "params": masked_like(node.params, node.components.get("params")),  # no secrets
            "resources": node.resources.as_dask(),
        })
    return nodes


def print_plan(prepared: PreparedRun, as_json: bool) -> None:
    """The plan as JSON, or as a table for people."""
    data = plan_as_json(prepared)
    if as_json:
        print(json.dumps(data, indent=1, default=str))
        return
    summary = data["summary"]
    print(f"pipeline '{data['pipeline']}' ({data['spec']}): {summary['total']} nodes, "
          f"{summary['cached']} cached, {summary['run']} to run")
    print_node_table(data["nodes"])


def print_node_table(nodes: list[dict[str, Any]]) -> None:
    """One line per node: id, step, short fingerprint, status and why it runs."""
    width = max(len(n["id"]) for n in nodes)
    step_width = max(len(n["step"]) for n in nodes)
    for node in nodes:
        why = "" if node["status"] == CACHED else node["reason"]
        if node["detail"]:
            why += f" ({node['detail']})"
        print(f"  {node['id']:<{width}}  {node['step']:<{step_width}}  "
              f"{node['fingerprint'][:12]}  {node['status']:<6}  {why}".rstrip())
