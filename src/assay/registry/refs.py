"""References to model versions: ``NAME``, ``NAME:vN`` (or ``NAME:N``) and ``NAME@ALIAS``."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assay.config.schema import MODEL_NAME_PATTERN, MODEL_NAME_RULE
from assay.errors import Problem, UserError

_REFERENCE = re.compile(r"^(?P<name>[^:@]+)(?::v?(?P<version>\d+)|@(?P<alias>[^:@]+))?$")


@dataclass(frozen=True)
class Reference:
    """A parsed reference; a bare name means its ``latest`` version."""

    name: str
    version: int | None = None
    alias: str | None = None


def parse_reference(text: str) -> Reference:
    """Parses ``text``; raises a UserError (exit 2) that shows the accepted forms."""
    match = _REFERENCE.match(text.strip())
    problems = []
    if match is None:
        problems.append(f"'{text}' is not a model reference")
    else:
        for part in (match["name"], match["alias"]):
            if part is not None and not MODEL_NAME_PATTERN.match(part):
                problems.append(f"'{part}' in '{text}' is not a valid name ({MODEL_NAME_RULE})")
    if problems:
        raise UserError(Problem(problems[0], key="reference",
                                expected="NAME, NAME:vN or NAME@ALIAS, e.g. churn:v3 or churn@champion"))
    assert match is not None
    version = int(match["version"]) if match["version"] else None
    return Reference(match["name"], version, match["alias"])
