"""Sweeps: every sweep, and per sweep its leaderboard and parameters against the objective."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

from assay.engine.leaderboard import Leaderboard
from assay.report import markup as md
from assay.report.monitor_plots import draw_sweep
from assay.report.site import Page, SiteProject, digest, relative


def sweep_pages(project: SiteProject, sweeps: Sequence[Leaderboard]) -> list[Page]:
    """The sweeps index and one page per sweep (its plot drawn when its jobs changed)."""
    path = "sweeps/index.md"
    rows = []
    for board in sweeps:
        best = next((e for e in board.entries if e.rank == 1), None)
        rows.append((md.link(board.sweep_id, relative(path, f"sweeps/{board.sweep_id}.md")),
                     len(board.entries), board.objective or "", board.direction,
                     md.number(best.value) if best else "",
                     " ".join(best.overrides) if best else ""))
    body = (md.table(["sweep", "jobs", "objective", "direction", "best", "best job's overrides"],
                     rows) if rows else md.note("No sweep has been run; `assay run -m` runs one."))
    index = Page(path, "# Sweeps\n\n" + body,
                 {"page": "sweeps", "sweeps": [{"id": b.sweep_id, "jobs": len(b.entries)}
                                               for b in sweeps]})
    return [index, *(_sweep(project, board) for board in sweeps)]


def parameters(overrides: Sequence[str]) -> dict[str, str]:
    """``key=value`` overrides as a mapping (other Hydra overrides are left out)."""
    found = {}
    for override in overrides:
        key, sep, value = override.partition("=")
        if sep and not key.startswith(("hydra", "~")):
            found[key.lstrip("+")] = value
    return found


def _sweep(project: SiteProject, board: Leaderboard) -> Page:
    path = f"sweeps/{board.sweep_id}.md"
    objective = board.objective or "objective"
    jobs: list[dict[str, Any]] = [{"job": e.job, "rank": e.rank, "value": e.value, "status": e.status,
             "params": parameters(e.overrides), "overrides": list(e.overrides),
             "error": e.error} for e in board.entries]
    names = sorted({k for job in jobs for k in job["params"]})
    rows = [(job["rank"] or "", job["job"], md.number(job["value"]), job["status"],
             *(job["params"].get(n, "") for n in names), job["error"] or "") for job in jobs]
    parts = [f"# Sweep {md.text(board.sweep_id)}\n",
             f"Jobs ranked by {md.code(objective)} ({md.text(board.direction)}); "
             "click a column to sort.\n",
             md.table(["rank", "job", objective, "status", *names, "error"], rows)]
    plot = f"sweeps/{board.sweep_id}/parameters.png"
    data: dict[str, Any] = {"page": "sweep", "sweep": board.sweep_id, "objective": objective,
                            "direction": board.direction, "jobs": jobs}
    if any(job["value"] is not None for job in jobs) and names:
        # A sweep can gain batches: the plot is redrawn when its trials changed.
        trials = [{"params": job["params"], "value": job["value"]} for job in jobs]
        project.draw_if_changed(plot, digest([trials, objective]),
                                partial(draw_sweep, trials, objective))
        parts.append(md.section("Parameters against the objective",
                                md.image(f"{objective} by parameter",
                                         relative(path, plot))))
    return Page(path, "\n".join(parts), data)
