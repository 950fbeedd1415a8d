"""Drift: the share of drifted columns across checks, and one page per check."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from assay.report import markup as md
from assay.report.collect import DriftCheck
from assay.report.monitor_plots import draw_histograms, draw_timeline
from assay.report.site import Page, SiteProject, digest, relative


def drift_pages(project: SiteProject, checks: Sequence[DriftCheck]) -> list[Page]:
    """The drift index (with its timeline, redrawn when a check arrives) and a page per check."""
    path = "drift/index.md"
    rows = [(md.link(md.utc(c.checked), relative(path, f"drift/{c.check_id}.md")), c.model,
             c.current, c.rows, md.number(c.drift_share), "drifted" if c.drifted else "no drift")
            for c in checks]
    parts = ["# Drift\n"]
    if checks:
        points = sorted((c.checked, c.drift_share) for c in checks)
        threshold = float(checks[0].result.get("threshold", 0.5))
        plot = "drift/timeline.png"
        project.draw_if_changed(plot, digest([points, threshold]),
                                partial(draw_timeline, points, threshold))
        parts += [md.section("Drift share over time",
                             md.image("Drift share of each check", relative(path, plot))),
                  md.section("Checks", md.table(["checked (UTC)", "against", "current data",
                                                 "rows", "drift share", "verdict"], rows))]
    else:
        parts.append(md.note("No drift check has been run; `assay monitor` runs one."))
    index = Page(path, "\n".join(parts), {"page": "drift", "checks": [
        {"id": c.check_id, "checked": c.checked, "model": c.model, "drift_share": c.drift_share,
         "drifted": c.drifted} for c in checks]})
    return [index, *(_check(project, c) for c in checks)]


def _check(project: SiteProject, check: DriftCheck) -> Page:
    path = f"drift/{check.check_id}.md"
    columns = check.result.get("columns", [])
    rows = [(c["column"], c["kind"], c["test"], md.number(c["statistic"]), md.number(c["value"]),
             md.number(c["threshold"]), c["verdict"]) for c in columns]
    parts = [f"# Drift check {md.text(check.check_id)}\n",
             md.table(["", ""], [("checked (UTC)", md.utc(check.checked)),
                                 ("reference", check.model), ("current data", check.current),
                                 ("rows", check.rows), ("drift share", md.number(check.drift_share)),
                                 ("verdict", "drifted" if check.drifted else "no drift")]),
             md.section("Columns", md.table(["column", "kind", "test", "statistic", "value",
                                             "threshold", "verdict"], rows))]
    histograms = check.result.get("histograms") or {}
    images = []
    for index, (column, pair) in enumerate(sorted(histograms.items())):
        # Column names are user data: files are numbered, the title shows the name.
        plot = f"drift/{check.check_id}/column-{index}.png"
        inputs = (column, pair["reference"], pair["current"])
        project.draw_if_changed(plot, digest(inputs), partial(draw_histograms, *inputs))
        images.append(f"### {md.text(column)}\n\n"
                      f"{md.image(f'{column}: reference against current', relative(path, plot))}")
    if images:
        parts.append(md.section("Drifted columns: reference against current", *images))
    return Page(path, "\n".join(parts), {"page": "drift check", **check.result,
                                         "check_id": check.check_id})
