"""The generated MkDocs project: its pages, their data files and the site's assets.

Pages are written only when their content changed, so a rebuild touches what a new run
changed and nothing else. A model card is written once: if its file exists it is never
rewritten, which is what keeps it (and the HTML built from it) byte-identical while
later versions arrive.
"""

from __future__ import annotations

import json
import os
import posixpath
import shutil
import string
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

SITE_NAME = "assay report"


@dataclass(frozen=True)
class Page:
    """One generated page.

    Attributes:
        path: Where it goes, relative to ``docs/`` (``models/churn/v3.md``).
        markdown: Its content.
        data: The figures it shows, written next to it as ``<page>.json`` for CI tools.
        once: Written only if it does not exist yet (a model card).
    """

    path: str
    markdown: str
    data: Mapping[str, Any] = field(default_factory=dict)
    once: bool = False

    @property
    def data_path(self) -> str:
        """Where its data file goes, relative to ``docs/``."""
        return self.path.removesuffix(".md") + ".json"


def relative(page: str, target: str) -> str:
    """The link from ``page`` to ``target``, both relative to ``docs/``."""
    return posixpath.relpath(target, posixpath.dirname(page) or ".")


class SiteProject:
    """The MkDocs project directory: ``mkdocs.yml``, ``docs/`` and the built ``html/``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.docs = self.root / "docs"
        self.html = self.root / "html"
        self.config_file = self.root / "mkdocs.yml"
        self.written: list[str] = []  # pages and files changed by this build
        self.kept: set[str] = set()  # every file this build generated or kept

    def exists(self, path: str) -> bool:
        """Whether a generated file is already there (relative to ``docs/``)."""
        self.kept.add(path)
        return (self.docs / path).exists()

    def keep_tree(self, folder: str) -> None:
        """Keeps every file under ``folder`` (a card's plots) through :meth:`prune`."""
        root = self.docs / folder
        for file in root.rglob("*") if root.exists() else []:
            if file.is_file():
                self.kept.add(file.relative_to(self.docs).as_posix())

    def write_page(self, page: Page) -> None:
        """Writes ``page`` and its data file, unless unchanged (or already there, if once)."""
        if page.once and self.exists(page.path) and self.exists(page.data_path):
            return
        self.write_text(page.path, page.markdown)
        self.write_text(page.data_path, json.dumps(page.data, indent=1, sort_keys=True,
                                                   default=str) + "\n")

    def write_text(self, path: str, content: str) -> None:
        """Writes a generated file when its content differs."""
        self.write_bytes(path, content.encode())

    def write_bytes(self, path: str, content: bytes) -> None:
        """Writes a generated file atomically when its content differs."""
        self.kept.add(path)
        target = self.docs / path
        if target.exists() and target.read_bytes() == content:
            return
        _atomic_write(target, content)
        self.written.append(path)

    def prune(self) -> list[str]:
        """Removes generated files this build did not produce (a run no longer listed)."""
        removed = []
        for file in sorted(self.docs.rglob("*")) if self.docs.exists() else []:
            path = file.relative_to(self.docs).as_posix()
            if file.is_file() and path not in self.kept:
                file.unlink()
                removed.append(path)
        return removed

    def write_config(self, site_name: str = SITE_NAME) -> None:
        """Writes ``mkdocs.yml`` from the template and copies the site's assets."""
        scripts = []
        for asset in sorted(resources.files("assay.report").joinpath("assets").iterdir(),
                            key=lambda a: a.name):
            self.write_bytes(f"assets/{asset.name}", asset.read_bytes())
            if asset.name.endswith(".js"):
                scripts.append(f"  - assets/{asset.name}")
        template = resources.files("assay.report").joinpath("templates/mkdocs.yml").read_text()
        config = string.Template(template).substitute(
            site_name=json.dumps(site_name), extra_javascript="\n".join(scripts))
        if not self.config_file.exists() or self.config_file.read_text() != config:
            _atomic_write(self.config_file, config.encode())

    def build(self) -> None:
        """Builds the HTML into ``html/`` with MkDocs."""
        import logging

        from mkdocs.commands.build import build
        from mkdocs.config import load_config

        # MkDocs reports each step at INFO; a report build prints its own summary.
        logging.getLogger("mkdocs").setLevel(logging.WARNING)
        config = load_config(str(self.config_file))
        build(config)

    def clear_html(self) -> None:
        """Removes the built HTML (MkDocs rebuilds it in full)."""
        shutil.rmtree(self.html, ignore_errors=True)


def _atomic_write(target: Path, content: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
