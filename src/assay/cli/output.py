"""Shared by the read-only commands (models, runs, data): arguments, the store, printing."""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from assay.errors import ConfigError, Problem
from assay.store import Store


class ArgumentParser(argparse.ArgumentParser):
    """argparse whose mistakes are assay's usual clean errors (exit 2, no traceback)."""

    def error(self, message: str) -> NoReturn:
        raise ConfigError(Problem(f"{self.prog}: {message}", expected=self.format_usage().strip()))


def parser(prog: str, description: str) -> ArgumentParser:
    """A parser with the options every inspection command shares: --json and --store."""
    made = ArgumentParser(prog=prog, description=description)
    made.add_argument("--json", action="store_true", help="print JSON for machines")
    made.add_argument("--store", default=None,
                      help="the store directory (default: store.root of the project's config)")
    return made


def open_store(path: str | None) -> Store:
    """The workspace store: ``--store`` if given, else the configured ``store.root``.

    Raises:
        ConfigError: when the directory holds no assay store.
    """
    root = Path(path) if path else configured_store_root()
    if not (root / "assay.db").is_file():
        raise ConfigError(Problem(
            f"no assay store at {root}",
            key="--store",
            expected="a directory an `assay run` has written (it holds assay.db)",
            hint="run `assay run` first, or pass --store DIR"))
    return Store(root)


def configured_store_root() -> Path:
    """``store.root`` of the current project's composed config, relative to the project."""
    from assay.config.compose import compose
    from assay.config.project import locate_project

    project = locate_project()
    cfg = compose(project, [])
    return project.root / str(cfg.store.root)


def print_json(data: Any) -> None:
    """Indented JSON on stdout."""
    print(json.dumps(data, indent=1, default=str))


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A left-aligned text table."""
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
                     for row in cells)


def when(timestamp: float | None) -> str:
    """A local ``YYYY-mm-dd HH:MM:SS``."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(timestamp)) if timestamp else ""


def short_metrics(metrics: dict[str, Any], limit: int = 3) -> str:
    """The first few scalar metrics, ``name value``."""
    from assay.cli.summary import format_metrics

    return format_metrics(metrics) or ", ".join(
        f"{k} {v:.4g}" for k, v in list(metrics.items())[:limit] if isinstance(v, int | float))
