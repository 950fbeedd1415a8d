"""Declaring steps and looking them up.

A step is an ordinary function: its positional parameters are its inputs
(annotated with artifact types from :mod:`assay.artifacts`), its keyword-only
parameters are its parameters, and ``@step`` declares its outputs::

    @step(outputs={"train": Dataset, "test": Dataset})
    def split_dataset(data: Dataset, *, test_size: float = 0.25) -> dict[str, Dataset]:
        ...

Steps know nothing of Dask, the store or the command line. The compiler reads a
step's declaration from a :class:`StepCatalog` handed to it, never by importing
the step library itself.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NewType

from assay.artifacts import kind_of
from assay.code_version import hash_source
from assay.errors import Problem, did_you_mean, one_of

Target = NewType("Target", dict)  # type: ignore[type-arg]
"""A parameter that is a Hydra ``_target_`` config (instantiated inside the step)."""

FilePath = NewType("FilePath", str)
"""A parameter naming a data file: its content is part of the fingerprint."""

REQUIRED: Any = inspect.Parameter.empty


@dataclass(frozen=True)
class Interval:
    """A numeric range constraint for ``Annotated[float, Interval(...)]`` parameters."""

    low: float | None = None
    high: float | None = None
    closed: str = "both"  # "both", "left", "right" or "neither"

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies in the interval."""
        open_low = self.closed in ("right", "neither")
        open_high = self.closed in ("left", "neither")
        below = self.low is not None and (value < self.low or (value == self.low and open_low))
        above = self.high is not None and (value > self.high or (value == self.high and open_high))
        return not (below or above)

    def __str__(self) -> str:
        left = "[" if self.closed in ("both", "left") else "("
        right = "]" if self.closed in ("both", "right") else ")"
        low = "-inf" if self.low is None else f"{self.low:g}"
        high = "inf" if self.high is None else f"{self.high:g}"
        return f"in {left}{low}, {high}{right}"


@dataclass(frozen=True)
class Resources:
    """What a task needs from the worker that runs it."""

    gpu: int = 0

    def as_dask(self) -> dict[str, float]:
        """The Dask worker resources to request (empty when nothing special is needed)."""
        return {"GPU": self.gpu} if self.gpu else {}


@dataclass(frozen=True)
class InputSpec:
    """One artifact input of a step."""

    name: str
    kind: str
    many: bool = False  # a list input fans in every instance of a repeated step


@dataclass(frozen=True)
class ParamSpec:
    """One keyword parameter of a step."""

    name: str
    annotation: Any
    default: Any = REQUIRED

    @property
    def required(self) -> bool:
        """Whether the pipeline must give a value."""
        return self.default is REQUIRED


ResourceRule = Callable[[Mapping[str, Any]], Resources]


@dataclass(frozen=True)
class Step:
    """A declared step: a function plus its typed interface.

    Built by :func:`step`; immutable afterwards.
    """

    name: str
    func: Callable[..., Any]
    inputs: Mapping[str, InputSpec]
    outputs: Mapping[str, str]
    params: Mapping[str, ParamSpec]
    resource_rule: ResourceRule | None = None

    @property
    def reference(self) -> str:
        """``module:qualname``, enough to import the function in another process."""
        return f"{self.func.__module__}:{self.func.__qualname__}"

    @functools.cached_property
    def code_version(self) -> str:
        """Hash of the step's source, without docstrings and comments.

        Includes functions and classes of the same module that the step calls, so a
        change to a private helper also invalidates the step.
        """
        return hash_source(self.func)

    def resources(self, params: Mapping[str, Any]) -> Resources:
        """The worker resources a call with ``params`` needs."""
        return self.resource_rule(params) if self.resource_rule else Resources()

    def call(self, inputs: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
        """Calls the function and returns its outputs by name."""
        result = self.func(**inputs, **params)
        names = list(self.outputs)
        if len(names) == 1:
            return {names[0]: result}
        if not isinstance(result, Mapping) or set(result) != set(names):
            got = sorted(result) if isinstance(result, Mapping) else type(result).__name__
            raise TypeError(f"step '{self.name}' must return a mapping with keys {names}, got {got}")
        return dict(result)


def step(
    name: str | None = None,
    *,
    outputs: Mapping[str, Any],
    resources: ResourceRule | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declares a function as a step.

    Args:
        name: Registered name; defaults to the function name.
        outputs: Output name → artifact type.
        resources: Optional rule deriving worker resources from the parameters.

    Returns:
        A decorator that attaches the :class:`Step` to the function and returns it unchanged.
    """

    def declare(func: Callable[..., Any]) -> Callable[..., Any]:
        declared = _build_step(name or func.__name__, func, outputs, resources)
        func.__assay_step__ = declared  # type: ignore[attr-defined]
        _DECLARED.setdefault(declared.name, {})[declared.reference] = declared
        return func

    return declare


def _build_step(
    name: str,
    func: Callable[..., Any],
    outputs: Mapping[str, Any],
    resources: ResourceRule | None,
) -> Step:
    hints = typing.get_type_hints(func, include_extras=True)
    inputs: dict[str, InputSpec] = {}
    params: dict[str, ParamSpec] = {}
    for parameter in inspect.signature(func).parameters.values():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            raise TypeError(f"step '{name}': *args and **kwargs are not allowed; name each one")
        if parameter.name not in hints:
            raise TypeError(f"step '{name}': parameter '{parameter.name}' needs a type annotation")
        hint = hints[parameter.name]
        if parameter.kind == parameter.KEYWORD_ONLY:
            params[parameter.name] = ParamSpec(parameter.name, hint, parameter.default)
        else:
            inputs[parameter.name] = _input_spec(name, parameter.name, hint)
    output_kinds = {}
    for output, annotation in outputs.items():
        kind = kind_of(annotation)
        if kind is None:
            raise TypeError(f"step '{name}': output '{output}' is not an artifact type")
        output_kinds[output] = kind
    if not output_kinds:
        raise TypeError(f"step '{name}' must declare at least one output")
    return Step(name, func, inputs, output_kinds, params, resources)


def _input_spec(step_name: str, name: str, hint: Any) -> InputSpec:
    many = typing.get_origin(hint) is list
    kind = kind_of(typing.get_args(hint)[0] if many else hint)
    if kind is None:
        raise TypeError(
            f"step '{step_name}': input '{name}' must be annotated with an artifact type "
            "(or list of one); make it keyword-only if it is a parameter"
        )
    return InputSpec(name, kind, many)


_DECLARED: dict[str, dict[str, Step]] = {}
"""Name → reference → step, for every step declared in this process."""


class StepCatalog:
    """The steps a pipeline may use, by name.

    A spec's ``uses`` is either a registered name or a ``module:function`` path to a
    function declared with :func:`step`.
    """

    def __init__(self, steps: Iterable[Step] = ()) -> None:
        self._steps: dict[str, Step] = {}
        self._ambiguous: dict[str, set[str]] = {}
        for declared in steps:
            self.add(declared)

    def add(self, declared: Step) -> None:
        """Registers a step. Two different steps under one name make the name ambiguous:
        ``uses`` must then name one of them as ``module:function``."""
        existing = self._steps.get(declared.name)
        if existing is not None and existing.reference != declared.reference:
            self._ambiguous.setdefault(declared.name, {existing.reference}).add(
                declared.reference
            )
        self._steps.setdefault(declared.name, declared)

    def __contains__(self, name: object) -> bool:
        return name in self._steps

    def __iter__(self) -> Iterator[Step]:
        return iter(self._steps.values())

    def names(self) -> list[str]:
        """Registered names, sorted."""
        return sorted(self._steps)

    def resolve(self, uses: str) -> Step:
        """The step a spec's ``uses`` names.

        Raises:
            LookupError: with a message suggesting the closest registered name.
        """
        if uses in self._ambiguous:
            choices = ", ".join(sorted(self._ambiguous[uses]))
            raise LookupError(f"several steps are named '{uses}' ({choices}); "
                              "name one as module:function")
        if uses in self._steps:
            return self._steps[uses]
        if ":" in uses:
            return _import_step(uses)
        hint = did_you_mean(uses, self._steps)
        raise LookupError(
            f"no step named '{uses}'; expected {one_of(self._steps)} or 'module:function'"
            + (f"; {hint}" if hint else "")
        )


def _import_step(reference: str) -> Step:
    module_name, _, attr = reference.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise LookupError(f"cannot import module '{module_name}': {error}") from error
    func: Any = module
    for part in attr.split("."):
        func = getattr(func, part, None)
    declared = getattr(func, "__assay_step__", None)
    if not isinstance(declared, Step):
        raise LookupError(f"'{reference}' is not a function declared with @step")
    return declared


@functools.cache
def load_entry_point_steps(group: str = "assay.steps") -> list[Problem]:
    """Imports every module registered under the ``assay.steps`` entry point group.

    Importing a module declares its steps. Returns a problem per plugin that failed
    to import instead of raising, so one broken plugin does not hide the others. Runs
    once per process.
    """
    from importlib.metadata import entry_points

    problems = []
    for entry in entry_points(group=group):
        try:
            entry.load()
        except Exception as error:  # a broken plugin must not stop assay itself
            problems.append(
                Problem(
                    f"step plugin '{entry.name}' ({entry.value}) failed to import: {error}",
                    hint="fix or uninstall the plugin package",
                )
            )
    return problems


def catalog_of_declared() -> StepCatalog:
    """A catalog of every step declared in this process."""
    return StepCatalog(s for by_reference in _DECLARED.values() for s in by_reference.values())
