"""Turning exceptions into messages and exit codes: the only place that does."""

from __future__ import annotations

import contextlib
import os
import sys
import traceback
from collections.abc import Iterator
from dataclasses import dataclass

from assay.errors import AssayError, StepError, UserError


class Terminated(KeyboardInterrupt):
    """Raised in the main thread when the process receives SIGTERM: handled like Ctrl-C."""


INTERRUPTED = 130
"""The exit status after Ctrl-C (128 + SIGINT), as shells report it."""

TERMINATED = 143
"""The exit status after SIGTERM (128 + SIGTERM)."""

BROKEN_PIPE = 141
"""The exit status when the reader of the output went away (128 + SIGPIPE, as ``yes | head``)."""


@dataclass
class Outcome:
    """The exit status a command settles on."""

    code: int = 0


def full_errors_requested(verbose: bool) -> bool:
    """Whether the user asked for tracebacks (``--verbose`` or ``HYDRA_FULL_ERROR=1``)."""
    return verbose or os.environ.get("HYDRA_FULL_ERROR") == "1"


@contextlib.contextmanager
def report_errors(verbose: bool) -> Iterator[Outcome]:
    """Prints errors raised inside and sets the exit status; tracebacks only on request."""
    outcome = Outcome()
    show_traceback = full_errors_requested(verbose)
    try:
        yield outcome
    except KeyboardInterrupt as interrupt:
        terminated = isinstance(interrupt, Terminated)
        what = "terminated (SIGTERM)" if terminated else "interrupted"
        print(f"\nassay: {what}; finished steps are cached, run again to resume",
              file=sys.stderr)
        outcome.code = TERMINATED if terminated else INTERRUPTED
    except UserError as error:
        _print_traceback(show_traceback)
        print(f"assay: error: {error.render()}", file=sys.stderr)
        outcome.code = error.exit_code
    except StepError as error:
        _print_traceback(show_traceback, error)
        print(f"assay: {error.render()}", file=sys.stderr)
        outcome.code = error.exit_code
    except AssayError as error:
        _print_traceback(show_traceback)
        print(f"assay: error: {error}", file=sys.stderr)
        outcome.code = error.exit_code
    except Exception as error:
        from assay.cli.hydra_errors import remembered_overrides, translate

        translated = translate(error)
        if translated is not None:
            _print_traceback(show_traceback)
            print(f"assay: error: {translated.render()}", file=sys.stderr)
            outcome.code = translated.exit_code
            return
        if isinstance(error, BrokenPipeError):
            raise  # the reader went away: entry() exits quietly
        from assay.cli.system_errors import describe

        failure = describe(error, remembered_overrides())
        if failure is None:
            raise
        _print_traceback(show_traceback)
        print(f"assay: error: {failure.render()}", file=sys.stderr)
        outcome.code = failure.exit_code


def _print_traceback(show: bool, error: StepError | None = None) -> None:
    if not show:
        return
    traceback.print_exc()
    if error is not None:
        for failure in error.failures:
            if failure.traceback:
                print(f"--- traceback of step '{failure.node}' ---\n{failure.traceback}",
                      file=sys.stderr)
