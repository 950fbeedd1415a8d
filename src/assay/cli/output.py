"""Shared by the read-only commands (models, runs, data): arguments, the store, printing."""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

from assay.errors import ConfigError, Problem, did_you_mean
from assay.store import Store

_SHOWN_METRICS = ("accuracy", "f1", "f1_macro", "roc_auc", "log_loss", "rmse", "mae", "r2",
                  "cv_roc_auc_mean", "cv_accuracy_mean", "cv_r2_mean", "cv_rmse_mean")
"""The metrics a summary line shows, in this order, when a run recorded them."""


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


def dispatch(group: str, usage: str, handlers: Mapping[str, Callable[[list[str]], int]],
             args: list[str]) -> int:
    """Runs the handler of ``assay GROUP SUBCOMMAND`` with the arguments after it.

    Prints ``usage`` for ``-h``/``--help`` (exit 0) and when no subcommand is given (exit 2).

    Raises:
        ConfigError: for a subcommand ``handlers`` does not know, with the closest one.
    """
    if not args or args[0] in ("-h", "--help"):
        print(usage)
        return 0 if args else 2
    command, rest = args[0], args[1:]
    if command not in handlers:
        raise ConfigError(Problem(f"unknown {group} command '{command}'",
                                  expected=", ".join(handlers),
                                  hint=did_you_mean(command, handlers)))
    return handlers[command](rest)


def open_store(path: str | None) -> Store:
    """The workspace store: ``--store`` if given, else the configured ``store.root``.

    Raises:
        MissingStoreError: when the directory holds no assay store.
    """
    return Store.existing(Path(path) if path else configured_store_root())


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


def format_metrics(metrics: dict[str, Any]) -> str:
    """The headline scalar metrics as ``name value`` pairs."""
    names = [n for n in _SHOWN_METRICS if isinstance(metrics.get(n), int | float)]
    return ", ".join(f"{n} {metrics[n]:.4f}" for n in names)


def short_metrics(metrics: dict[str, Any], limit: int = 3) -> str:
    """The headline metrics, else the first few scalar metrics, ``name value``."""
    return format_metrics(metrics) or ", ".join(
        f"{k} {v:.4g}" for k, v in list(metrics.items())[:limit] if isinstance(v, int | float))
