"""The generated MkDocs project: its pages, their data files and the site's assets.

Pages are written only when their content changed, and plots drawn only when their input
did, so a rebuild touches what a new run changed and nothing else. A model card is
written once: if its file exists it is never rewritten, which is what keeps it (and the
HTML built from it) byte-identical while later versions arrive.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import string
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

SITE_NAME = "assay report"
EXPORTS = "exports"  # beside docs/: MkDocs would read an export's README.md as a page
HOOKS = "hooks.py"  # the MkDocs hook, copied beside mkdocs.yml


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
    """The MkDocs project directory: ``mkdocs.yml``, ``docs/``, ``exports/`` and the built ``html/``.

    Every generated file goes through it, so it knows what a build changed (``written``)
    and what it produced or kept (``kept``); :meth:`prune` removes the rest. Paths are
    relative to ``docs/``, except those of exports, which start with ``exports/`` and are
    relative to the project.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.docs = self.root / "docs"
        self.exports = self.root / EXPORTS
        self.html = self.root / "html"
        self.config_file = self.root / "mkdocs.yml"
        self.written: list[str] = []  # generated files changed by this build
        self.drawn: list[str] = []  # plots drawn by this build (changed or not)
        self.kept: set[Path] = set()  # every file this build generated or kept
        self.removed: list[str] = []  # generated files pruned: no longer produced

    @property
    def pages(self) -> int:
        """The Markdown pages this build generated or kept."""
        return sum(1 for file in self.kept if file.suffix == ".md" and file.is_relative_to(self.docs))

    def exists(self, path: str) -> bool:
        """Whether a generated file is already there (relative to ``docs/``); keeps it."""
        self.kept.add(self.docs / path)
        return (self.docs / path).exists()

    def keep_tree(self, folder: str) -> None:
        """Keeps every file under ``folder`` (a card's plots, or its ``exports/…``
        folder) through :meth:`prune`."""
        root = self._target(folder)
        for file in root.rglob("*") if root.exists() else []:
            if file.is_file():
                self.kept.add(file)

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
        """Writes a generated file atomically when its content differs.

        Args:
            path: Relative to ``docs/``, or to the project when it starts with ``exports/``.
            content: The file's bytes.
        """
        target = self._target(path)
        self.kept.add(target)
        if target.is_file() and target.read_bytes() == content:
            return
        _atomic_write(target, content)
        self.written.append(path)

    def draw_if_changed(self, path: str, key: str, draw: Callable[[], bytes]) -> None:
        """Draws the plot ``path`` unless it exists and was drawn from the same input.

        A stamp beside the plot (``<path>.sha256``) holds the ``key`` it was drawn from;
        it is written after the plot, so an interrupted build draws it again.

        Args:
            path: The PNG, relative to ``docs/``.
            key: Identifies the plot's input, such as :func:`digest` of it.
            draw: Renders the plot as PNG bytes.
        """
        stamp = path + ".sha256"
        self.kept.update((self.docs / path, self.docs / stamp))
        if (self.docs / path).is_file() and (self.docs / stamp).is_file() \
                and (self.docs / stamp).read_text() == key:
            return
        self.drawn.append(path)
        self.write_bytes(path, draw())
        self.write_text(stamp, key)

    def prune(self) -> list[str]:
        """Removes generated files this build did not produce (a run no longer listed, a
        removed version's exports)."""
        removed = []
        for tree, prefix in ((self.docs, ""), (self.exports, f"{EXPORTS}/")):
            for file in sorted(tree.rglob("*")) if tree.exists() else []:
                if file.is_file() and file not in self.kept:
                    file.unlink()
                    removed.append(prefix + file.relative_to(tree).as_posix())
        self.removed += removed
        return removed

    def write_config(self, site_name: str = SITE_NAME) -> None:
        """Writes ``mkdocs.yml`` from the template, its hook and the site's assets."""
        package = resources.files("assay.report")
        scripts = []
        for asset in sorted(package.joinpath("assets").iterdir(), key=lambda a: a.name):
            self.write_bytes(f"assets/{asset.name}", asset.read_bytes())
            if asset.name.endswith(".js"):
                scripts.append(f"  - assets/{asset.name}")
        # The hook is copied beside mkdocs.yml, so the project builds with plain `mkdocs`.
        _write_if_changed(self.root / HOOKS, package.joinpath("hooks.py").read_bytes())
        template = package.joinpath("templates/mkdocs.yml").read_text()
        config = string.Template(template).substitute(
            site_name=json.dumps(site_name), extra_javascript="\n".join(scripts),
            hooks=HOOKS)
        _write_if_changed(self.config_file, config.encode())

    def build(self) -> None:
        """Builds the HTML into ``html/`` with MkDocs (its hook copies ``exports/`` in)."""
        import logging

        from mkdocs.commands.build import build
        from mkdocs.config import load_config

        # MkDocs reports each step at INFO; a report build prints its own summary.
        logging.getLogger("mkdocs").setLevel(logging.WARNING)
        config = load_config(str(self.config_file))
        build(config)

    def _target(self, path: str) -> Path:
        return self.root / path if path.startswith(f"{EXPORTS}/") else self.docs / path


def digest(value: Any) -> str:
    """A hash of ``value``'s JSON (keys sorted): the key of a plot drawn from it."""
    content = json.dumps(value, sort_keys=True, default=str)
    return hashlib.sha256(content.encode()).hexdigest()


def _write_if_changed(target: Path, content: bytes) -> None:
    if not target.is_file() or target.read_bytes() != content:
        _atomic_write(target, content)


def _atomic_write(target: Path, content: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        # mkstemp creates the file 0600; the site is served to, and read by, others.
        os.fchmod(handle, 0o644)
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
