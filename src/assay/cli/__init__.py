"""The ``assay`` command line: ``run``, ``plan`` and ``init``.

``assay run`` hands its arguments to Hydra, so every Hydra flag and override works as
in any Hydra app. Only this package maps errors to exit codes: 0 success, 1 a step
failed, 2 invalid config, pipeline or data (a message, no traceback; ``--verbose`` or
``HYDRA_FULL_ERROR=1`` shows it), 130 interrupted.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

USAGE = """usage: assay <command> [arguments]

commands:
  run [OVERRIDES...]          compile the configured pipeline and run it (Hydra flags work:
                              --cfg job, --info, --help, -m)
  plan [OVERRIDES...] [--json]
                              show every node of the plan, cached or to run, and why
  init DIR                    write a starter project (configs/ and pipelines/) into DIR

options:
  --verbose                   show full tracebacks for errors
  --version                   print the version

Run `assay run --help` for the config groups and their options."""


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``assay`` console script; returns the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    verbose = "--verbose" in args
    args = [a for a in args if a != "--verbose"]
    if not args or args[0] in ("-h", "--help", "help"):
        print(USAGE)
        return 0 if args else 2
    if args[0] == "--version":
        from assay import __version__

        print(f"assay {__version__}")
        return 0
    command, rest = args[0], args[1:]
    from assay.cli.errors import report_errors

    with report_errors(verbose) as outcome:
        if command == "run":
            from assay.cli.run import run_command

            outcome.code = run_command(rest)
        elif command == "plan":
            from assay.cli.plan import plan_command

            outcome.code = plan_command(rest)
        elif command == "init":
            from assay.cli.init import init_command

            outcome.code = init_command(rest)
        else:
            from assay.errors import did_you_mean

            hint = did_you_mean(command, ["run", "plan", "init"])
            print(f"assay: unknown command '{command}'" + (f"; {hint}" if hint else ""),
                  file=sys.stderr)
            print(USAGE, file=sys.stderr)
            outcome.code = 2
    return outcome.code
