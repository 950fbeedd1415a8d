"""The ``assay`` command line: ``run``, ``plan``, ``init`` and the registry's commands.

``assay run`` hands its arguments to Hydra, so every Hydra flag and override works as
in any Hydra app. Only this package maps errors to exit codes: 0 success, 1 a step
failed (or a reproduction differs, or the machine refused: a full disk, a read-only
store), 2 invalid config, pipeline, data or reference, or a path on the command line
that cannot be used (a message, no traceback; ``--verbose`` or ``HYDRA_FULL_ERROR=1``
shows it), 3 a promotion gate refused with ``registry.require_promotion=true``, 130
interrupted (Ctrl-C), 141 the reader of the output went away, 143 terminated (SIGTERM).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

USAGE = """usage: assay <command> [arguments]

commands:
  run [OVERRIDES...]          compile the configured pipeline and run it (Hydra flags work:
                              --cfg job, --info, --help, -m)
  plan [OVERRIDES...] [--json]
                              show every node of the plan, cached or to run, and why
  init DIR                    write a starter project (configs/ and pipelines/) into DIR
  models list|show|promote|tag|diff|restore
                              registered model versions, their lineage and aliases;
                              restore rebuilds a version's missing model artifact
  runs list|show              the run history
  data list                   dataset versions and the models that used them
  reproduce REF               re-run a version in a fresh store and verify it matches
  verify [--repair] [--json]  check every artifact's checksum, every registered model's
                              artifact and sha256 and every run's status; --repair moves
                              damaged entries to artifacts/.corrupt
  monitor [OVERRIDES...] [--json]
                              check monitor.current for drift against a version's
                              training data profile; retrain when monitor.retrain.when holds
  report [serve] [--out DIR]  build the report site (model cards, runs, sweeps, drift) with
                              MkDocs into DIR (default site/); serve it with live rebuilds

options:
  --verbose                   show full tracebacks for errors
  --version                   print the version

Run `assay run --help` for the config groups and their options."""


COMMANDS: dict[str, str] = {
    "init": "assay.cli.init:init_command",
    "models": "assay.cli.models:models_command",
    "runs": "assay.cli.runs:runs_command",
    "data": "assay.cli.data:data_command",
    "reproduce": "assay.cli.reproduce:reproduce_command",
    "verify": "assay.cli.verify:verify_command",
    "monitor": "assay.cli.monitor:monitor_command",
    "report": "assay.cli.report:report_command",
}
"""Commands by name; each imports its module only when it runs, so start-up stays fast."""


def _command(reference: str) -> Callable[[list[str]], int]:
    """The function ``module:name`` refers to, imported now."""
    import importlib

    module, _, name = reference.partition(":")
    found: Callable[[list[str]], int] = getattr(importlib.import_module(module), name)
    return found


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
        elif command in COMMANDS:
            outcome.code = _command(COMMANDS[command])(rest)
        else:
            from assay.errors import did_you_mean

            hint = did_you_mean(command, ["run", "plan", *COMMANDS])
            print(f"assay: unknown command '{command}'" + (f"; {hint}" if hint else ""),
                  file=sys.stderr)
            print(USAGE, file=sys.stderr)
            outcome.code = 2
    return outcome.code


def entry() -> NoReturn:
    """The console script: :func:`main`, then an exit that skips interpreter teardown.

    Tearing down pandas, scikit-learn, Dask and the embedded cluster's forkserver module by
    module takes 0.3-0.4 s after the work is done. Every exit handler still runs (logging
    is flushed, clusters are closed); only the teardown is skipped, and only when no other
    non-daemon thread is still running, as the interpreter would wait for it, unless the
    command was interrupted (Ctrl-C, SIGTERM): then nothing still running is waited for.
    """
    import contextlib
    import os
    import threading

    from assay._compat import run_exit_handlers
    from assay.cli.errors import INTERRUPTED, TERMINATED

    code = _main_guarded()
    _exit_at_once_if_signalled()
    # After an interrupt, a step still running in a thread (executor=threads) is abandoned
    # rather than waited for, by the interpreter or by Dask's exit handler that joins its
    # thread pool: its outputs are not in the store until written in full. Only the logs
    # are flushed; the worker server ends by itself once this process is gone.
    stopped = code in (INTERRUPTED, TERMINATED)
    if not stopped and any(t is not threading.main_thread() and not t.daemon
                           for t in threading.enumerate()):
        sys.exit(code)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe or stream
            stream.flush()
    if stopped:
        import logging

        logging.shutdown()
    else:
        run_exit_handlers()
    os._exit(code)


def _main_guarded() -> int:
    """:func:`main`, with SIGTERM handled like Ctrl-C and no traceback for either or a closed pipe.

    ``report_errors`` turns an interrupt while a command runs into its message; this
    catches one that lands outside it (while Python imports, before or after the
    command), and a reader that closed the pipe (``assay runs list | head``).
    """
    import os
    import signal

    from assay.cli.errors import BROKEN_PIPE, INTERRUPTED, TERMINATED, Terminated

    def terminate(signum: int, frame: object) -> None:
        raise Terminated()

    signal.signal(signal.SIGTERM, terminate)
    try:
        return main()
    except KeyboardInterrupt as interrupt:
        terminated = isinstance(interrupt, Terminated)
        print(f"\nassay: {'terminated (SIGTERM)' if terminated else 'interrupted'}",
              file=sys.stderr)
        return TERMINATED if terminated else INTERRUPTED
    except BrokenPipeError:
        # Python's documented way: point stdout at /dev/null, so that the final flush
        # does not fail again, and exit as a process killed by SIGPIPE would.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return BROKEN_PIPE


def _exit_at_once_if_signalled() -> None:
    """The command is over: Ctrl-C or SIGTERM from now on ends the process at once.

    What is left is flushing and exit handlers; an interrupt there would print Python's
    "Exception ignored" traceback instead of stopping.
    """
    import os
    import signal

    from assay.cli.errors import INTERRUPTED, TERMINATED

    signal.signal(signal.SIGINT, lambda signum, frame: os._exit(INTERRUPTED))
    signal.signal(signal.SIGTERM, lambda signum, frame: os._exit(TERMINATED))
