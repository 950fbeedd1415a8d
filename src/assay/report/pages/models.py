"""The models section: every model, each model's versions, and its ``latest``/``champion``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from assay.report import markup as md
from assay.report.card import card_path, registered
from assay.report.collect import DriftCheck, ModelCard
from assay.report.evaluation import HEADLINE
from assay.report.site import Page, relative

POINTERS = ("latest", "champion")


def model_pages(cards: Sequence[ModelCard], drift: Sequence[DriftCheck]) -> list[Page]:
    """The models index, one page per model, and its pointer pages."""
    by_name: dict[str, list[ModelCard]] = {}
    for card in cards:
        by_name.setdefault(card.version.name, []).append(card)
    pages = [_index(by_name)]
    for name, versions in by_name.items():
        checks = [c for c in drift if c.model_name == name]
        pages.append(_model(name, versions, checks))
        pages += [_pointer(name, alias, versions) for alias in POINTERS]
    return pages


def headline(metrics: dict[str, Any] | Any) -> list[str]:
    """The headline metric names (:data:`assay.report.evaluation.HEADLINE`) present in
    ``metrics``, in display order."""
    names = dict.fromkeys(m for task in HEADLINE.values() for m in task)
    return [m for m in names if isinstance(metrics.get(m), int | float)]


def _index(by_name: dict[str, list[ModelCard]]) -> Page:
    path = "models/index.md"
    rows, data = [], []
    for name, versions in sorted(by_name.items()):
        latest = versions[-1].version
        champion = _alias(versions, "champion")
        rows.append((md.link(name, relative(path, f"models/{name}/index.md")),
                     len(versions), md.link(f"v{latest.version}", relative(path, card_path(latest))),
                     md.link(f"v{champion.version}", relative(path, card_path(champion)))
                     if champion else "none", registered(latest)))
        data.append({"name": name, "versions": len(versions), "latest": latest.ref,
                     "champion": champion.ref if champion else None})
    body = (md.table(["model", "versions", "latest", "champion", "last registered"], rows)
            if rows else md.note("No model has been registered; `assay run` registers one."))
    return Page(path, "# Models\n\n" + body, {"page": "models", "models": data})


def _alias(versions: list[ModelCard], alias: str) -> Any:
    return next((c.version for c in versions if alias in c.version.aliases), None)


def _model(name: str, versions: list[ModelCard], checks: Sequence[DriftCheck]) -> Page:
    path = f"models/{name}/index.md"
    names = headline(versions[-1].version.metrics)
    rows = [(md.link(f"v{c.version.version}", relative(path, card_path(c.version))),
             ", ".join(c.version.aliases), registered(c.version),
             *(md.number(c.version.metrics.get(m)) for m in names)) for c in reversed(versions)]
    promotions = sorted((p for c in versions for p in c.promotions), key=lambda p: p.decided)
    decisions = [(md.utc(p.decided), f"v{p.version}", p.alias,
                  "promoted" if p.promoted else "refused", "; ".join(p.reasons))
                 for p in reversed(promotions)]
    drift_rows = [(md.link(md.utc(c.checked), relative(path, f"drift/{c.check_id}.md")), c.model,
                   c.current, c.rows, md.number(c.drift_share),
                   "drifted" if c.drifted else "no drift") for c in checks]
    parts = [f"# {md.text(name)}\n",
             md.section("Versions", md.table(["version", "aliases", "registered", *names], rows)),
             md.section("Promotions", md.table(["decided", "version", "alias", "decision",
                                                "reasons"], decisions)
                        if decisions else "No promotion decisions recorded."),
             md.section("Drift", md.table(["checked", "against", "current data", "rows",
                                           "drift share", "verdict"], drift_rows)
                        if drift_rows else "No drift checks against this model yet.")]
    data = {"page": "model", "name": name,
            "versions": [{"ref": c.version.ref, "aliases": list(c.version.aliases),
                          "metrics": {m: c.version.metrics.get(m) for m in names}}
                         for c in versions],
            "drift": [{"check": c.check_id, "drift_share": c.drift_share,
                       "drifted": c.drifted} for c in checks]}
    return Page(path, "\n".join(parts), data)


def _pointer(name: str, alias: str, versions: list[ModelCard]) -> Page:
    path = f"models/{name}/{alias}.md"
    target = versions[-1] if alias == "latest" else next(
        (c for c in versions if alias in c.version.aliases), None)
    if target is None:
        body = f"No version of {md.text(name)} is {alias} yet."
        return Page(path, f"# {md.text(name)} @{alias}\n\n{body}\n",
                    {"page": "alias", "name": name, "alias": alias, "version": None})
    version = target.version
    names = headline(version.metrics)
    drift = target.latest_drift
    status = ("no drift check against it yet" if drift is None else
              f"{'drifted' if drift.get('drifted') else 'no drift'} "
              f"(drift share {drift.get('drift_share', 0):.2f}, "
              f"checked against {drift.get('current', '')})")
    body = "\n".join([
        f"# {md.text(name)} @{alias}\n",
        f"{alias} is **{md.link(f'v{version.version}', relative(path, card_path(version)))}**, "
        f"registered {registered(version)}.\n",
        md.table(["metric", "value"], [(m, md.number(version.metrics[m])) for m in names]),
        md.section("Drift status", md.text(status))])
    return Page(path, body, {"page": "alias", "name": name, "alias": alias,
                             "version": version.ref,
                             "metrics": {m: version.metrics[m] for m in names},
                             "drifted": None if drift is None else bool(drift.get("drifted"))})
