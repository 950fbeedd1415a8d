"""The leaderboard of a sweep: jobs ranked by the objective metric, recorded in the store."""

from __future__ import annotations

from dataclasses import dataclass

from assay.config.secrets import redact_overrides
from assay.engine.sweep import PreparedSweep, SweepReport
from assay.store import Store


@dataclass(frozen=True)
class Entry:
    """One job's line on the leaderboard (``rank`` is None for jobs without a value)."""

    rank: int | None
    job: int
    overrides: tuple[str, ...]
    value: float | None
    status: str
    error: str | None = None


@dataclass(frozen=True)
class Leaderboard:
    """Every job recorded for a sweep, best first."""

    sweep_id: str
    objective: str | None
    direction: str
    entries: tuple[Entry, ...]


def record_batch(store: Store, sweep_dir: str, sweep: PreparedSweep, report: SweepReport) -> str:
    """Adds a finished batch to its sweep in the store; returns the sweep id."""
    ran = sum(1 for o in report.outcomes.values() if o.ok)
    counts = {"total_nodes": sweep.merged.total_nodes, "unique_nodes": sweep.merged.unique_nodes,
              "n_ran": ran, "n_cached": sweep.cached_nodes}
    jobs = [
        {
            "job": result.job.num,
            "run_id": result.run.run_id,
            "overrides": redact_overrides(result.job.overrides),
            "status": result.status,
            "value": result.value,
            "metrics": {k: v for k, v in result.run.metrics.items() if not isinstance(v, list)},
            "error": "\n".join(f.summary() for f in result.run.failures) or None,
        }
        for result in report.results
    ]
    objective = next((r.objective for r in report.results if r.objective), sweep.objective)
    return store.metadata.record_sweep_batch(report.sweep_id, sweep_dir, objective,
                                             sweep.direction, counts, jobs)


def leaderboard(store: Store, sweep_id: str) -> Leaderboard:
    """Every job of the sweep, ranked: best objective first, then jobs without one."""
    row = store.metadata.sweep(sweep_id) or {}
    direction = str(row.get("direction") or "maximize")
    jobs = store.metadata.sweep_jobs(sweep_id)
    scored = [j for j in jobs if j["status"] == "succeeded" and j["value"] is not None]
    scored.sort(key=lambda j: (-j["value"] if direction == "maximize" else j["value"], j["job"]))
    others = sorted((j for j in jobs if j not in scored), key=lambda j: j["job"])
    entries = [
        Entry(rank, j["job"], tuple(redact_overrides(j["overrides"])), j["value"], j["status"],
              j["error"])
        for rank, j in enumerate(scored, start=1)
    ] + [Entry(None, j["job"], tuple(redact_overrides(j["overrides"])), j["value"], j["status"],
               j["error"])
         for j in others]
    return Leaderboard(sweep_id, row.get("objective"), direction, tuple(entries))
