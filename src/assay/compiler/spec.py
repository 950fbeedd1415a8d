"""Reading pipeline specs: YAML → immutable :class:`PipelineSpec`.

This module checks only the shape of the file (keys, types, references written as
``step.output``); whether the steps exist and connect is the compiler's job.
Every problem found is reported at once, each with its file and line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from assay.compiler.collector import paused_gc
from assay.config.compose import nesting_depth
from assay.config.project import display_path
from assay.errors import PipelineError, Problem, did_you_mean, one_of

SPEC_KEYS = ("description", "steps", "metrics")
STEP_KEYS = ("uses", "with", "inputs", "when", "foreach", "description")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_REFERENCE = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]*)\.([A-Za-z_][A-Za-z0-9_]*)$")

MAX_DEPTH = 50
"""Levels of nested mappings and lists a spec may have, counted from the top: far more
than a pipeline needs, and far from where the compiler's walks over values exhaust
Python's stack."""

MAX_VALUES = 100_000
"""Values a spec's YAML aliases may expand to. Aliases of aliases multiply (a "billion
laughs" file is a few lines long), and the compiler visits every copy. Values written
out are not counted: a file's size bounds them."""

MAX_MODULE_PARTS = 20
"""Dotted parts a ``module:function`` reference may have: Python imports each parent
package recursively, so thousands of parts exhaust its stack."""

MAX_INTERPOLATION_DEPTH = 32
"""Levels of ``${}``, ``[]``, ``{}`` and ``()`` a string with an interpolation may nest:
OmegaConf parses interpolations recursively."""


@dataclass(frozen=True)
class OutputRef:
    """A reference to one output of one step, written ``step.output``."""

    step: str
    output: str

    @classmethod
    def parse(cls, text: str) -> OutputRef | None:
        """The reference ``text`` denotes, or None when it is not of the form ``step.output``."""
        match = _REFERENCE.match(text)
        return cls(match.group(1), match.group(2)) if match else None

    def __str__(self) -> str:
        return f"{self.step}.{self.output}"


@dataclass(frozen=True)
class StepEntry:
    """One step of a spec, as written (interpolations not yet resolved)."""

    name: str
    uses: str
    params: Mapping[str, Any] | str
    inputs: Mapping[str, OutputRef]
    when: Any = True
    foreach: Any = None
    line: int | None = None


@dataclass(frozen=True)
class PipelineSpec:
    """A parsed pipeline spec."""

    name: str
    path: Path
    steps: Mapping[str, StepEntry]
    metrics: tuple[OutputRef, ...] = ()
    description: str = ""
    key_lines: Mapping[tuple[str, str], int] = field(default_factory=dict)
    file: str = ""  # the path as shown in messages

    def where(self, step: str | None = None, key: str | None = None) -> str:
        """``file:line`` of a step (or of one of its keys) when the line is known."""
        line = None
        if step is not None:
            line = self.key_lines.get((step, key or "")) or self.key_lines.get((step, ""))
        return f"{self.file}:{line}" if line else self.file


def load_spec(path: Path, name: str | None = None) -> PipelineSpec:
    """Reads and shape-checks the spec at ``path``.

    Raises:
        PipelineError: listing every problem with the file.
    """
    file = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise PipelineError(
            Problem(f"cannot read the pipeline spec: {error.strerror}", file=file)
        ) from error
    except UnicodeDecodeError as error:
        raise PipelineError(
            Problem(
                f"the pipeline spec is not UTF-8 text: {error.reason} at byte {error.start}",
                file=file,
                hint="save the file as UTF-8",
            )
        ) from None
    with paused_gc():
        try:
            root, data = _parse(text)
        except yaml.YAMLError as error:
            raise PipelineError(_yaml_problem(error, file)) from None
        except ValueError as error:  # a value YAML recognises but Python cannot build
            raise PipelineError(
                Problem(
                    f"malformed YAML: a value cannot be read: {error}",
                    file=file,
                    expected="numbers of at most 4300 digits and valid dates",
                    hint="quote the value to keep it as a string",
                )
            ) from None
        return _SpecReader(path, name or path.stem, root).read(data)


def _parse(text: str) -> tuple[yaml.Node | None, object]:
    """The node tree (for line numbers) and the data, from one parse (libyaml when present)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    finally:
        loader.dispose()
    return root, data


def _yaml_problem(error: yaml.YAMLError, file: str) -> Problem:
    mark = getattr(error, "problem_mark", None)
    where = f"{file}:{mark.line + 1}:{mark.column + 1}" if mark else file
    problem = getattr(error, "problem", None) or str(error)
    return Problem(
        f"malformed YAML: {problem}",
        file=where,
        expected="a YAML mapping with a 'steps' key",
        hint="check indentation and that every 'key: value' has a space after the colon",
    )


class _SpecReader:
    """Walks the parsed YAML once, collecting problems instead of stopping at the first."""

    def __init__(self, path: Path, name: str, root: yaml.Node | None) -> None:
        self.path = path
        self.name = name
        self.file = display_path(path)
        self.problems: list[Problem] = []
        self.lines: dict[tuple[str, str], int] = {}
        self._index_lines(root)

    def read(self, data: Any) -> PipelineSpec:
        if not isinstance(data, dict):
            raise PipelineError(
                Problem(
                    "a pipeline spec must be a mapping",
                    file=self.file,
                    expected="top-level keys " + ", ".join(SPEC_KEYS),
                    got=type(data).__name__ if data is not None else "an empty file",
                )
            )
        self._check_size(data)
        for key in data:
            if key not in SPEC_KEYS:
                self._problem(
                    f"unknown top-level key '{key}'",
                    key=str(key),
                    expected=one_of(SPEC_KEYS),
                    hint=did_you_mean(str(key), SPEC_KEYS),
                )
        steps = self._read_steps(data.get("steps"))
        metrics = self._read_metrics(data.get("metrics", []))
        description = data.get("description") or ""
        if self.problems:
            raise PipelineError(self.problems)
        return PipelineSpec(
            self.name, self.path, steps, metrics, str(description), dict(self.lines), self.file
        )

    def _read_steps(self, raw: Any) -> dict[str, StepEntry]:
        if not isinstance(raw, dict) or not raw:
            self._problem(
                "the spec has no steps",
                key="steps",
                expected="a mapping of step names to {uses, with, inputs}",
                got=repr(raw),
            )
            return {}
        steps = {}
        for name, body in raw.items():
            entry = self._read_step(name, body)
            if entry is not None:
                steps[entry.name] = entry
        return steps

    def _read_step(self, written: Any, body: Any) -> StepEntry | None:
        name = str(written)
        if not isinstance(written, str) or not _NAME.match(name):
            self._problem(
                f"invalid step name '{name}'",
                step=name,
                expected="letters, digits, '_' or '-', starting with a letter or '_'",
                # `~:` or `true:` is a null or a boolean to YAML, not the text it looks like
                got=None if isinstance(written, str) else f"{written!r} ({type(written).__name__})",
            )
            return None
        if not isinstance(body, dict):
            self._problem(
                "a step must be a mapping",
                step=name,
                expected="keys " + ", ".join(STEP_KEYS),
                got=repr(body),
            )
            return None
        for key in body:
            if key not in STEP_KEYS:
                self._problem(
                    f"unknown key '{key}'",
                    step=name,
                    key=str(key),
                    expected=one_of(STEP_KEYS),
                    hint=did_you_mean(str(key), STEP_KEYS),
                )
        uses = body.get("uses")
        if not isinstance(uses, str) or not uses:
            self._problem(
                "the step does not say which registered step it uses",
                step=name,
                key="uses",
                expected="uses: <step name> (or module:function)",
                got=repr(uses),
            )
        elif ":" in uses and not _importable(uses):
            self._problem(
                "'uses' is not a valid module:function reference",
                step=name,
                key="uses",
                expected=f"a module path of at most {MAX_MODULE_PARTS} dotted Python names, "
                "':', then a function name, for example 'my_steps:clean'",
                got=repr(uses),
            )
        params = body.get("with") or {}
        if not isinstance(params, dict | str):
            self._problem(
                "'with' must be a mapping of parameter names to values",
                step=name,
                key="with",
                got=repr(params),
            )
            params = {}
        inputs = self._read_inputs(name, body.get("inputs") or {})
        return StepEntry(
            name,
            uses if isinstance(uses, str) else "",
            params,
            inputs,
            body.get("when", True),
            body.get("foreach"),
            self.lines.get((name, "")),
        )

    def _read_inputs(self, step: str, raw: Any) -> dict[str, OutputRef]:
        if not isinstance(raw, dict):
            self._problem(
                "'inputs' must be a mapping of input names to upstream outputs",
                step=step,
                key="inputs",
                expected="inputs: {data: load.data}",
                got=repr(raw),
            )
            return {}
        inputs = {}
        for input_name, text in raw.items():
            ref = OutputRef.parse(text) if isinstance(text, str) else None
            if ref is None:
                self._problem(
                    f"input '{input_name}' is not a reference to an upstream output",
                    step=step,
                    key=f"inputs.{input_name}",
                    expected="'step.output', for example 'load.data'",
                    got=repr(text),
                )
                continue
            inputs[str(input_name)] = ref
        return inputs

    def _read_metrics(self, raw: Any) -> tuple[OutputRef, ...]:
        if not isinstance(raw, list):
            self._problem("'metrics' must be a list of step outputs", key="metrics", got=repr(raw))
            return ()
        refs = []
        for text in raw:
            ref = OutputRef.parse(text) if isinstance(text, str) else None
            if ref is None:
                self._problem(
                    "a metrics entry is not a step output",
                    key="metrics",
                    expected="'step.output', for example 'evaluate.metrics'",
                    got=repr(text),
                )
            else:
                refs.append(ref)
        return tuple(refs)

    def _check_size(self, data: dict[Any, Any]) -> None:
        """Refuses values nested too deep, or too many once aliases are expanded.

        Runs before anything else walks the values, and keeps its own stack: a
        self-referencing alias (``&a [*a]``) stops at the depth limit instead of
        exhausting Python's stack, and an alias bomb stops at the count limit.
        """
        # entries are (value, depth, parent entry, key): a path is built only to report it
        pending: list[tuple[Any, int, Any, Any]] = [(data, 0, None, None)]
        seen: set[int] = set()
        expanded = 0
        while pending:
            entry = pending.pop()
            value, depth = entry[0], entry[1]
            if isinstance(value, str):
                if nesting_depth(value) > MAX_INTERPOLATION_DEPTH:
                    self._refuse(
                        f"an interpolation nests more than {MAX_INTERPOLATION_DEPTH} levels deep",
                        _path(entry),
                        expected=f"at most {MAX_INTERPOLATION_DEPTH} levels of nested ${{}}, "
                        "[], {} and ()",
                    )
                continue
            children = value.items() if isinstance(value, dict) else enumerate(value)
            if depth >= MAX_DEPTH and value:
                self._refuse(
                    f"the values nest more than {MAX_DEPTH} levels deep",
                    _path(entry),
                    expected=f"at most {MAX_DEPTH} levels of nested mappings and lists",
                    hint="a YAML alias inside its own anchor (&a [*a]) nests without end",
                )
            if id(value) in seen:  # an alias: YAML shares the value, the compiler copies it
                expanded += len(value)
                if expanded > MAX_VALUES:
                    self._refuse(
                        f"the spec's YAML aliases expand to more than {MAX_VALUES} values",
                        _path(entry),
                        expected=f"at most {MAX_VALUES} values",
                        hint="aliases (*name) of anchors that hold aliases multiply; "
                        "write the values out or use fewer aliases",
                    )
            seen.add(id(value))
            pending.extend((child, depth + 1, entry, key) for key, child in children
                           if isinstance(child, dict | list)
                           or (isinstance(child, str) and "${" in child))

    def _refuse(self, message: str, path: tuple[str, ...], **details: Any) -> None:
        """Raises at once with ``message`` located at ``path``: nothing else may walk on."""
        step = path[1] if path[:1] == ("steps",) and len(path) > 1 else None
        parts = path[2:] if step is not None else path
        key = ".".join(parts[:6]) + (".…" if len(parts) > 6 else "") if parts else None
        self._problem(message, step=step, key=key, **details)
        raise PipelineError(self.problems)

    def _problem(self, message: str, step: str | None = None, key: str | None = None,
                 **details: Any) -> None:
        line = self.lines.get((step or "", key or "")) or self.lines.get((step or "", ""))
        file = f"{self.file}:{line}" if line else self.file
        self.problems.append(Problem(message, file=file, step=step, key=key, **details))

    def _index_lines(self, root: yaml.Node | None) -> None:
        """Records the line of every step and step key, and reports duplicate names."""
        if not isinstance(root, yaml.MappingNode):
            return
        seen: set[str] = set()
        for key_node, value_node in root.value:
            self._once(seen, key_node, None, str(key_node.value))
            self.lines[("", str(key_node.value))] = key_node.start_mark.line + 1
            if key_node.value == "steps" and isinstance(value_node, yaml.MappingNode):
                self._index_steps(value_node)

    def _index_steps(self, steps: yaml.MappingNode) -> None:
        seen: set[str] = set()
        for key_node, value_node in steps.value:
            step = str(key_node.value)
            line = key_node.start_mark.line + 1
            if step in seen:
                self.problems.append(
                    Problem(
                        f"step '{step}' is defined twice",
                        file=f"{self.file}:{line}",
                        step=step,
                        hint="give each step a unique name",
                    )
                )
            seen.add(step)
            self.lines[(step, "")] = line
            if isinstance(value_node, yaml.MappingNode):
                keys: set[str] = set()
                for sub_key, sub_value in value_node.value:
                    self._once(keys, sub_key, step, str(sub_key.value))
                    self.lines[(step, str(sub_key.value))] = sub_key.start_mark.line + 1
                    if isinstance(sub_value, yaml.MappingNode):
                        leaves: set[str] = set()
                        for leaf, _ in sub_value.value:
                            name = f"{sub_key.value}.{leaf.value}"
                            self._once(leaves, leaf, step, name)
                            self.lines[(step, name)] = leaf.start_mark.line + 1

    def _once(self, seen: set[str], node: yaml.Node, step: str | None, key: str) -> None:
        """Reports ``key`` when its mapping gave it before: YAML would keep the last silently."""
        if key in seen and key != "<<":  # "<<" merges, and may be given more than once
            self.problems.append(
                Problem(
                    f"key '{key}' is given twice",
                    file=f"{self.file}:{node.start_mark.line + 1}",
                    step=step,
                    key=key,
                    hint="YAML keeps only the last one; remove or merge the others",
                )
            )
        seen.add(key)


def _path(entry: tuple[Any, int, Any, Any]) -> tuple[str, ...]:
    """The keys from the top of the spec down to a value :meth:`_check_size` walked to."""
    keys = []
    while entry[2] is not None:
        keys.append(str(entry[3]))
        entry = entry[2]
    return tuple(reversed(keys))


def _importable(reference: str) -> bool:
    """Whether ``module:function`` has the shape importlib and getattr can follow."""
    module, _, attr = reference.partition(":")
    parts = module.split(".")
    return (len(parts) <= MAX_MODULE_PARTS and all(p.isidentifier() for p in parts)
            and all(p.isidentifier() for p in attr.split(".")))
