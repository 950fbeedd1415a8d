"""Building the report: collect from the store, write the pages that changed, run MkDocs."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from assay.report.card import write_card
from assay.report.collect import collect
from assay.report.pages.drift import drift_pages
from assay.report.pages.home import home_page
from assay.report.pages.models import model_pages
from assay.report.pages.runs import pipeline_page, run_pages
from assay.report.pages.sweeps import sweep_pages
from assay.report.site import SiteProject
from assay.store import Store


@dataclass(frozen=True)
class BuildReport:
    """What a build did."""

    out: Path
    new_cards: int
    cards: int
    pages: int  # Markdown pages generated or kept: what MkDocs builds
    written: int  # generated files that changed
    drawn: int  # plots drawn because their input changed (or they were missing)
    removed: int
    seconds: float

    @property
    def index(self) -> Path:
        """The built site's home page."""
        return self.out / "html" / "index.html"

    def to_json(self) -> dict[str, object]:
        """Plain data for ``--json`` output."""
        return {"out": str(self.out), "index": str(self.index), "cards": self.cards,
                "new_cards": self.new_cards, "pages": self.pages, "written": self.written,
                "drawn": self.drawn, "removed": self.removed, "seconds": round(self.seconds, 3)}


def generate(store: Store, out: Path, resamples: int = 1000) -> tuple[SiteProject, int, int]:
    """Writes the MkDocs project for ``store`` into ``out`` and removes the generated files
    it no longer holds; returns it, the number of new cards and of cards in all."""
    site = collect(store)
    project = SiteProject(out)
    new_cards = sum(write_card(project, store, card, resamples) for card in site.models)
    pages = [home_page(site), *model_pages(site.models, site.drift), *run_pages(site.runs),
             pipeline_page(site.runs), *sweep_pages(project, site.sweeps),
             *drift_pages(project, site.drift)]
    for page in pages:
        project.write_page(page)
    project.write_config()
    project.prune()
    return project, new_cards, len(site.models)


def build_report(store: Store, out: Path, resamples: int = 1000) -> BuildReport:
    """Generates the project and builds its HTML into ``out/html``."""
    started = time.perf_counter()
    project, new_cards, cards = generate(store, out, resamples)
    project.build()
    return BuildReport(Path(out), new_cards, cards, project.pages, len(project.written),
                       len(project.drawn), len(project.removed), time.perf_counter() - started)
