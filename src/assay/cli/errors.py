"""Turning exceptions into messages and exit codes: the only place that does."""

from __future__ import annotations

import contextlib
import os
import sys
import traceback
from collections.abc import Iterator
from dataclasses import dataclass

from assay.errors import AssayError, StepError, UserError


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
    except KeyboardInterrupt:
        print("\nassay: interrupted; finished steps are cached, run again to resume",
              file=sys.stderr)
        outcome.code = 130
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
        from assay.cli.hydra_errors import translate

        translated = translate(error)
        if translated is None:
            raise
        _print_traceback(show_traceback)
        print(f"assay: error: {translated.render()}", file=sys.stderr)
        outcome.code = translated.exit_code


def _print_traceback(show: bool, error: StepError | None = None) -> None:
    if not show:
        return
    traceback.print_exc()
    if error is not None:
        for failure in error.failures:
            if failure.traceback:
                print(f"--- traceback of step '{failure.node}' ---\n{failure.traceback}",
                      file=sys.stderr)
