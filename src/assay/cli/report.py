"""``assay report``: build the report site from the store, or serve it with live rebuilds."""

from __future__ import annotations

from pathlib import Path

from assay.cli.output import open_store, parser, print_json

USAGE = """usage: assay report [serve] [--out DIR] [--store DIR] [--json]

  (no subcommand)           build the site into DIR (default: report.out, `site`);
                            open DIR/html/index.html
  serve [--port N]          build, serve it on http://127.0.0.1:N/ and rebuild whenever
                            the store changes (Ctrl-C stops)"""


def report_command(args: list[str]) -> int:
    """Builds (or serves) the report site."""
    if args and args[0] in ("-h", "--help"):
        print(USAGE)
        return 0
    serving = bool(args) and args[0] == "serve"
    made = parser("assay report" + (" serve" if serving else ""), "Build the report site.")
    made.add_argument("--out", default=None, help="the site project directory (default: site)")
    if serving:
        made.add_argument("--port", type=int, default=8000)
    options = made.parse_args(args[1:] if serving else args)
    store = open_store(options.store)
    out, resamples = _settings(options.out)
    if serving:
        from assay.report.serve import serve

        serve(store, out, options.port, resamples)
        return 0
    from assay.report.build import build_report

    built = build_report(store, out, resamples)
    if options.json:
        print_json({"out": str(built.out), "index": str(built.index), "cards": built.cards,
                    "new_cards": built.new_cards, "written": built.written,
                    "removed": built.removed, "seconds": round(built.seconds, 3)})
    else:
        print(f"assay: report built in {built.seconds:.1f}s: {built.cards} model cards "
              f"({built.new_cards} new), {built.written} files changed -> {built.index}")
    return 0


def _settings(out: str | None) -> tuple[Path, int]:
    """The output directory and bootstrap resamples: options first, then the config."""
    from assay.config.compose import compose
    from assay.config.project import locate_project
    from assay.config.sections import section

    project = locate_project()  # outside a project: the packaged configs' defaults
    settings = section(compose(project, []), "report")
    return Path(out) if out else project.root / str(settings["out"]), int(settings["resamples"])
