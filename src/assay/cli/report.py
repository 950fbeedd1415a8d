"""``assay report``: build the report site from the store, or serve it with live rebuilds."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assay.cli.output import open_store, parser, print_json
from assay.errors import ConfigError, Problem

if TYPE_CHECKING:
    from omegaconf import DictConfig

    from assay.report.build import BuildReport
    from assay.store import Store

USAGE = """usage: assay report [serve] [--out DIR] [--store DIR] [--json]

  (no subcommand)           build the site into DIR (default: report.out, `site`);
                            open DIR/html/index.html
  serve [--port N]          build, serve it on http://127.0.0.1:N/ and rebuild whenever
                            the store changes (Ctrl-C stops)"""


def report_command(args: list[str]) -> int:
    """Builds (or serves) the report site."""
    from assay.config.compose import compose
    from assay.config.project import locate_project

    if args and args[0] in ("-h", "--help"):
        print(USAGE)
        return 0
    serving = bool(args) and args[0] == "serve"
    made = parser("assay report" + (" serve" if serving else ""), "Build the report site.")
    made.add_argument("--out", default=None, help="the site project directory (default: site)")
    if serving:
        made.add_argument("--port", type=int, default=8000)
    options = made.parse_args(args[1:] if serving else args)
    project = locate_project()  # outside a project: the packaged configs' defaults
    settings = report_settings(compose(project, []))
    store = open_store(options.store or str(project.root / settings["store"]))
    out = Path(options.out) if options.out else project.root / str(settings["out"])
    try:
        if serving:
            from assay.report.serve import serve

            with site_errors(out, "--out", port=options.port):
                serve(store, out, options.port, int(settings["resamples"]))
        else:
            build_site(store, out, int(settings["resamples"]), as_json=options.json)
    finally:
        store.close()
    return 0


def report_settings(cfg: DictConfig) -> dict[str, Any]:
    """The ``report`` section of a composed config (``build``, ``out``, ``resamples``),
    with the store it reads from as ``store`` (relative to the project)."""
    from assay.config.sections import section

    return {**section(cfg, "report"), "store": str(cfg.store.root)}


def build_site(store: Store, out: Path, resamples: int, *, key: str = "--out",
               verb: str = "built", as_json: bool = False) -> BuildReport:
    """Builds the site into ``out`` and prints what the build did.

    Args:
        store: The store to report on.
        out: The site project directory.
        resamples: Bootstrap resamples behind each new card's intervals.
        key: Where ``out`` came from, named by an error about it (``--out``, ``report.out``).
        verb: How the summary line says it was made (``built``, ``rebuilt``).
        as_json: Print the build's figures as JSON instead of a line.

    Raises:
        ConfigError: ``out`` cannot be written, or MkDocs cannot build the site there.
    """
    from assay.report.build import build_report

    with site_errors(out, key):
        built = build_report(store, out, resamples)
    if as_json:
        print_json(built.to_json())
    else:
        print(f"assay: report {verb} in {built.seconds:.1f}s: {built.cards} model cards "
              f"({built.new_cards} new), {built.pages} pages, {built.written} files changed "
              f"-> {built.index}", flush=True)
    return built


@contextlib.contextmanager
def site_errors(out: Path, key: str, port: int | None = None) -> Iterator[None]:
    """Turns what the file system or MkDocs refuses into a clean error about ``key``
    (or ``--port``, when serving on ``port`` fails).

    Raises:
        ConfigError: What went wrong, and the option to change.
    """
    from mkdocs.exceptions import MkDocsException

    try:
        yield
    except OSError as error:
        # Binding a socket fails without a file name; everything else concerns a file.
        if port is not None and error.filename is None:
            raise ConfigError(Problem(
                f"cannot serve the report on 127.0.0.1:{port}: {error.strerror or error}",
                key="--port", expected="a free port",
                hint="pass another --port, or stop what is listening on this one")) from error
        raise ConfigError(Problem(
            f"cannot write the report site to {out}: {error}", key=key,
            expected="a directory assay can create or write into",
            hint=f"set {key} to another directory")) from error
    except MkDocsException as error:
        raise ConfigError(Problem(
            f"MkDocs could not build the report site in {out}: {error}", key=key,
            hint=f"the site project is generated: remove {out} and build again, or set {key} "
                 "to another directory")) from error
