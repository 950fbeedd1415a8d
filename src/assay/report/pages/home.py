"""The home page: what the store holds, the newest of each part, and what is not recorded."""

from __future__ import annotations

from assay.report import markup as md
from assay.report.card import card_path, registered
from assay.report.collect import NOT_RECORDED, SiteData
from assay.report.pages.models import headline
from assay.report.site import Page, relative

PATH = "index.md"


def home_page(site: SiteData) -> Page:
    """A summary of every section with links to the newest entries."""
    latest = {}
    for card in site.models:  # oldest first per name, so the last one wins
        latest[card.version.name] = card.version
    model_rows = [(md.link(v.name, relative(PATH, f"models/{v.name}/index.md")),
                   md.link(f"v{v.version}", relative(PATH, card_path(v))), registered(v),
                   ", ".join(f"{m} {v.metrics[m]:.4g}" for m in headline(v.metrics)[:2]))
                  for v in sorted(latest.values(), key=lambda v: -v.created)]
    parts = ["# assay report\n",
             f"{len(site.models)} model versions of {len(latest)} models, {len(site.runs)} runs, "
             f"{len(site.sweeps)} sweeps and {len(site.drift)} drift checks.\n"]
    if model_rows:
        parts.append(md.section("Models", md.table(["model", "latest", "registered", "metrics"],
                                                   model_rows)))
    if site.runs:
        newest = site.runs[0]
        parts.append(md.section("Newest run", md.link(
            f"{newest.run_id} ({newest.run['pipeline']}, {newest.run['status']}, "
            f"{md.utc(newest.run['started'])} UTC)", relative(PATH, f"runs/{newest.run_id}.md"))))
    if site.sweeps:
        parts.append(md.section("Newest sweep", md.link(
            site.sweeps[0].sweep_id, relative(PATH, f"sweeps/{site.sweeps[0].sweep_id}.md"))))
    if site.drift:
        check = site.drift[0]
        parts.append(md.section("Newest drift check", md.link(
            f"{check.model}: {'drifted' if check.drifted else 'no drift'}",
            relative(PATH, f"drift/{check.check_id}.md"))))
    for part in site.not_recorded:
        parts.append(md.note(f"{part}: {NOT_RECORDED}"))
    return Page(PATH, "\n".join(parts), {
        "page": "home", "models": {name: v.ref for name, v in latest.items()},
        "versions": len(site.models), "runs": len(site.runs), "sweeps": len(site.sweeps),
        "drift_checks": len(site.drift), "not_recorded": list(site.not_recorded)})
