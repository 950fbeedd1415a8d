"""Building the report: collect from the store, write the pages that changed, run MkDocs."""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from assay.report.card import write_card
from assay.report.collect import collect
from assay.report.exports import EXPORTS
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
    written: int  # generated files that changed
    removed: int
    seconds: float

    @property
    def index(self) -> Path:
        """The built site's home page."""
        return self.out / "html" / "index.html"


def generate(store: Store, out: Path, resamples: int = 1000) -> tuple[SiteProject, int, int]:
    """Writes the MkDocs project for ``store`` into ``out``; returns it, the number of new
    cards and of cards in all."""
    site = collect(store)
    project = SiteProject(out)
    new_cards = sum(write_card(project, store, card, resamples) for card in site.models)
    pages = [home_page(site), *model_pages(site.models, site.drift), *run_pages(site.runs),
             pipeline_page(site.runs), *sweep_pages(project, site.sweeps),
             *drift_pages(project, site.drift)]
    for page in pages:
        project.write_page(page)
    project.write_config()
    return project, new_cards, len(site.models)


def build_report(store: Store, out: Path, resamples: int = 1000) -> BuildReport:
    """Generates the project and builds its HTML into ``out/html``."""
    started = time.perf_counter()
    project, new_cards, cards = generate(store, out, resamples)
    removed = project.prune()
    project.build()
    exports = project.root / EXPORTS
    if exports.exists():  # MkDocs would read the READMEs as pages; they are copied as files
        shutil.copytree(exports, project.html / EXPORTS, dirs_exist_ok=True)
    return BuildReport(Path(out), new_cards, cards, len(project.written), len(removed),
                       time.perf_counter() - started)
