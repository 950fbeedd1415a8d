"""The error types of assay.

One root, :class:`AssayError`. Mistakes a user can fix (a config typo, a pipeline
that does not connect, a data file without its target column) are :class:`UserError`
and are printed as a message without a traceback; everything else is a bug or an
environment failure and keeps its traceback. Only the command line maps errors to
exit codes.

A user error is built from :class:`Problem` records with typed fields (where, what
was expected, what was found, how to fix it), so every message has the same shape
and tests can match on them.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the user's input, located as precisely as known.

    Attributes:
        message: What is wrong, as one sentence.
        file: The file the mistake is in (a config, a pipeline spec, a data file).
        step: The pipeline step concerned, if any.
        key: The key path inside the file or config (``with.test_size``, ``model.C``).
        expected: What would have been valid.
        got: What was found instead.
        hint: How to fix it, such as a "did you mean" suggestion.
    """

    message: str
    file: str | None = None
    step: str | None = None
    key: str | None = None
    expected: str | None = None
    got: str | None = None
    hint: str | None = None

    def location(self) -> str:
        """Returns "file, step 'x', key 'y'" with whichever parts are known."""
        parts = []
        if self.file:
            parts.append(self.file)
        if self.step:
            parts.append(f"step '{self.step}'")
        if self.key:
            parts.append(f"key '{self.key}'")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.location()
        lines = [f"{where}: {self.message}" if where else self.message]
        if self.expected is not None:
            lines.append(f"  expected: {self.expected}")
        if self.got is not None:
            lines.append(f"  got: {self.got}")
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)


class AssayError(Exception):
    """Root of every error raised by assay.

    Attributes:
        exit_code: The status the command line exits with; subclasses set their own.
    """

    exit_code: int = 1


class UserError(AssayError):
    """A mistake in the user's input; shown without a traceback.

    Carries one or more problems so that everything wrong with an input can be
    reported at once instead of one error per run.
    """

    exit_code = 2
    phase = "input"

    def __init__(self, problems: Problem | Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = (
            (problems,) if isinstance(problems, Problem) else tuple(problems)
        )
        if not self.problems:
            raise ValueError("a UserError needs at least one problem")
        super().__init__(self.render())

    def render(self) -> str:
        """The full message: a header when there are several problems, then each one."""
        if len(self.problems) == 1:
            return str(self.problems[0])
        body = "\n".join(f"- {problem}".replace("\n", "\n  ") for problem in self.problems)
        return f"{len(self.problems)} problems found in the {self.phase}:\n{body}"


class ConfigError(UserError):
    """The composed configuration is invalid (unknown key, wrong type, missing option)."""

    phase = "configuration"


class PipelineError(UserError):
    """A pipeline spec cannot be read or is malformed."""

    phase = "pipeline spec"


class CompileError(UserError):
    """The pipeline and config do not form a valid plan."""

    phase = "pipeline"


class DataError(UserError):
    """Input data does not meet what the pipeline expects (found while running)."""

    phase = "input data"


class StoreError(AssayError):
    """The artifact or metadata store cannot do what was asked.

    Args:
        message: What went wrong.
        hint: How to fix it, shown on a line of its own.
    """

    def __init__(self, message: str, hint: str | None = None) -> None:
        self.hint = hint
        super().__init__(f"{message}\n  hint: {hint}" if hint else message)


class MissingStoreError(UserError):
    """A directory named as a workspace's store holds no assay store."""

    phase = "store"


class CorruptArtifactError(StoreError):
    """A stored artifact is partial or does not match its recorded checksum."""


@dataclass
class StepFailure:
    """What is known about one failed task, in a form that crosses process boundaries."""

    node: str
    step: str
    fingerprint: str
    error_type: str
    message: str
    traceback: str
    log_path: str | None
    user_error: bool = False
    problems: Sequence[Problem] = field(default_factory=tuple)

    def summary(self) -> str:
        """One line: the step and the first line of what went wrong."""
        if self.user_error and self.problems:
            what = self.problems[0].message
        else:
            what = f"{self.error_type}: {self.message.splitlines()[0] if self.message else ''}"
        return f"step '{self.node}' failed: {what}"

    def describe(self) -> str:
        """One paragraph naming the step, its fingerprint and where its log is."""
        if self.user_error and self.problems:
            text = "\n".join(str(p) for p in self.problems)
        else:
            text = f"{self.error_type}: {self.message}"
        log = f"\n  log: {self.log_path}" if self.log_path else ""
        return (
            f"step '{self.node}' ({self.step}, fingerprint {self.fingerprint[:12]}) failed:\n"
            f"  {text.replace(chr(10), chr(10) + '  ')}{log}"
        )


class StepError(AssayError):
    """One or more steps failed while running a plan.

    The original exception, when it was raised in this process, is chained as
    ``__cause__``; failures from other processes keep their traceback as text.

    Attributes:
        exit_code: 2 when there are failures and every one is bad input data, otherwise 1.
    """

    def __init__(self, failures: Sequence[StepFailure], resume_hint: str | None = None) -> None:
        self.failures = tuple(failures)
        self.resume_hint = resume_hint
        self.exit_code = 2 if self.failures and all(f.user_error for f in self.failures) else 1
        super().__init__(self.render())

    def render(self) -> str:
        """Each failure, then how to resume."""
        text = "\n".join(f.describe() for f in self.failures)
        if self.resume_hint:
            text += f"\n{self.resume_hint}"
        return text


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """Suggests the closest of ``choices`` to ``word``, or None when none is close."""
    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{matches[0]}'?" if matches else None


def one_of(choices: Iterable[str]) -> str:
    """Formats a set of valid choices for an ``expected`` field."""
    ordered = sorted(choices)
    return "one of " + ", ".join(f"'{c}'" for c in ordered) if ordered else "nothing (none exist)"
