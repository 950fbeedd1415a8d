"""What a sweep prints: its merged plan before running, its leaderboard after."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from assay.cli.summary import nodes_as_json, print_node_table
from assay.config.secrets import redact_overrides
from assay.engine.leaderboard import Leaderboard
from assay.engine.sweep import PreparedSweep, SweepReport
from assay.executor.cache import RUN


def print_sweep_plan(sweep: PreparedSweep) -> None:
    """Jobs, nodes in all, unique nodes after merging, and how many are cached."""
    merged = sweep.merged
    print(
        f"assay: sweep of {len(sweep.jobs)} jobs: {merged.total_nodes} steps in all, "
        f"{merged.unique_nodes} unique after merging, {sweep.cached_nodes} from cache, "
        f"{len(sweep.to_run)} to run",
        flush=True,
    )


def print_leaderboard(report: SweepReport, board: Leaderboard) -> None:
    """The batch's counts, then every job of the sweep so far, best first."""
    ran = sum(1 for o in report.outcomes.values() if o.ok)
    jobs = Counter(result.status for result in report.results)
    skipped = f", {jobs['not run']} not run" if jobs["not run"] else ""
    print(
        f"assay: sweep {board.sweep_id}: {len(report.results)} jobs, "
        f"{jobs['succeeded']} succeeded, {jobs['failed']} failed{skipped}; "
        f"{ran} steps ran "
        f"in {report.duration:.2f}s",
        flush=True,
    )
    name = board.objective or "objective"
    width = max(len(name), 9)
    print(f"  {'rank':>4}  {'job':>4}  {name:>{width}}  overrides")
    for entry in board.entries:
        rank = str(entry.rank) if entry.rank else "-"
        if entry.status != "succeeded":
            value = entry.status
        elif entry.value is None:
            value = "n/a"
        else:
            value = f"{entry.value:.4f}"
        line = f"  {rank:>4}  {entry.job:>4}  {value:>{width}}  {' '.join(entry.overrides)}"
        if entry.error:
            line += f"\n{'':>{14 + width}}{entry.error.splitlines()[0]}"
        print(line)


def sweep_as_json(sweep: PreparedSweep) -> dict[str, Any]:
    """The whole sweep before it runs: its jobs and the merged plan."""
    jobs = []
    for index, job in enumerate(sweep.jobs):
        mapping = sweep.job_nodes(index)
        to_run = [node for node, merged in mapping.items()
                  if sweep.statuses[merged].status == RUN]
        jobs.append({
            "num": job.num,
            "overrides": redact_overrides(job.overrides),
            "nodes": len(mapping),
            "cached": len(mapping) - len(to_run),
            "to_run": to_run,
            "status": "run" if to_run else "cached",
            "node_ids": mapping,
        })
    return {
        "pipeline": sweep.merged.plan.pipeline,
        "jobs": jobs,
        "total_nodes": sweep.merged.total_nodes,
        "unique_nodes": sweep.merged.unique_nodes,
        "cached_nodes": sweep.cached_nodes,
        "to_run": len(sweep.to_run),
        "nodes": nodes_as_json(sweep.merged.plan, sweep.statuses),
    }


def print_sweep(sweep: PreparedSweep, as_json: bool) -> None:
    """``assay plan -m``: the jobs and the merged plan, as JSON or as tables."""
    data = sweep_as_json(sweep)
    if as_json:
        print(json.dumps(data, indent=1, default=str))
        return
    print_sweep_plan(sweep)
    print(f"  {'job':>4}  {'cached':>7}  {'to run':>6}  overrides")
    for job in data["jobs"]:
        cached = f"{job['cached']}/{job['nodes']}"
        print(f"  {job['num']:>4}  {cached:>7}  {len(job['to_run']):>6}  "
              f"{' '.join(job['overrides'])}")
    print("merged plan:")
    print_node_table(data["nodes"])
