"""Run history, one page per run with its plan drawn, and the pipelines' latest plans."""

from __future__ import annotations

import json
from collections.abc import Sequence

from assay.config.secrets import redact_command, redact_overrides
from assay.report import markup as md
from assay.report.collect import RunRecord
from assay.report.mermaid import STATUS_STYLES, fenced, plan_diagram
from assay.report.site import Page, relative

LEGEND = "Nodes: " + ", ".join(STATUS_STYLES) + " (green ran, blue cached, red failed, grey skipped)."


def run_pages(runs: Sequence[RunRecord]) -> list[Page]:
    """The run history and one page per run."""
    path = "runs/index.md"
    rows = [(md.link(r.run_id, relative(path, f"runs/{r.run_id}.md")), r.run["pipeline"],
             r.run["status"], md.utc(r.run["started"]), _duration(r), r.run["n_ran"],
             r.run["n_cached"], r.run["n_failed"]) for r in runs]
    body = (md.table(["run", "pipeline", "status", "started (UTC)", "seconds", "ran", "cached",
                      "failed"], rows) if rows else md.note("No run has been recorded."))
    index = Page(path, "# Runs\n\n" + body,
                 {"page": "runs", "runs": [_summary(r) for r in runs]})
    return [index, *(_run(r) for r in runs)]


def pipeline_page(runs: Sequence[RunRecord]) -> Page:
    """Each pipeline's plan as of its newest run."""
    path = "pipelines/index.md"
    newest: dict[str, RunRecord] = {}
    for record in runs:  # newest first
        newest.setdefault(str(record.run["pipeline"]), record)
    parts = ["# Pipelines\n", LEGEND + "\n"]
    for name, record in sorted(newest.items()):
        link = md.link(record.run_id, relative(path, f"runs/{record.run_id}.md"))
        parts.append(md.section(name, f"As compiled for run {link}.",
                                fenced(plan_diagram(record.tasks, record.edges))))
    if not newest:
        parts.append(md.note("No run has been recorded."))
    return Page(path, "\n".join(parts),
                {"page": "pipelines", "pipelines": {n: r.run_id for n, r in newest.items()}})


def _run(record: RunRecord) -> Page:
    run = record.run
    path = f"runs/{record.run_id}.md"
    rows = [(t["node"], t["step"], t["status"], t["reason"] or "",
             md.number(t["duration"], 3) if t["duration"] is not None else "",
             str(t["fingerprint"])[:12], t["error"] or "") for t in record.tasks]
    overrides = redact_overrides(json.loads(run["overrides"] or "[]"))  # older runs too
    metrics = json.loads(run["metrics"] or "{}")
    headline = [(k, md.number(v)) for k, v in sorted(metrics.items()) if isinstance(v, int | float)]
    parts = [f"# Run {md.text(record.run_id)}\n",
             md.table(["", ""], [("pipeline", run["pipeline"]), ("status", run["status"]),
                                 ("started (UTC)", md.utc(run["started"])),
                                 ("seconds", _duration(record)),
                                 ("overrides", " ".join(overrides) or "none"),
                                 ("command", redact_command(run["command"] or ""))]),
             md.section("Plan", LEGEND, fenced(plan_diagram(record.tasks, record.edges))),
             md.section("Tasks", md.table(["node", "step", "status", "why", "seconds",
                                           "fingerprint", "error"], rows))]
    if headline:
        parts.append(md.section("Metrics", md.table(["metric", "value"], headline)))
    if run["error"]:
        parts.append(md.section("Error", md.text(run["error"])))
    return Page(path, "\n".join(parts), {**_summary(record), "metrics": metrics,
                                         "tasks": [dict(t) for t in record.tasks],
                                         "edges": [list(e) for e in record.edges]})


def _duration(record: RunRecord) -> str:
    finished = record.run.get("finished")
    return f"{finished - record.run['started']:.1f}" if finished else ""


def _summary(record: RunRecord) -> dict[str, object]:
    keys = ("id", "pipeline", "status", "started", "finished", "n_nodes", "n_ran", "n_cached",
            "n_failed", "n_skipped")
    return {k: record.run.get(k) for k in keys}
