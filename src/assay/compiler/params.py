"""A step instance's parameters: checking names, types, ranges and ``_target_`` configs,
and their canonical values (an int given for a declared float is that float)."""

from __future__ import annotations

import contextlib
import functools
import types
import typing
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from assay.catalog import Step
from assay.compiler.numbers import annotation_is_float, as_declared_float
from assay.compiler.targets import HYDRA_KEYS, TargetNotFoundError, inspect_target
from assay.compiler.types import check_value, describe, show
from assay.errors import Problem, did_you_mean, one_of


@dataclass(frozen=True)
class ParamSite:
    """Where a parameter is written, for messages: spec location and config origin."""

    file: str
    step: str
    key: str


Locate = Callable[..., ParamSite]
"""Maps a parameter path (``["source", "path"]``) to where its value was written; with
``in_spec=True``, to where the parameter's name is written in the spec."""


def check_params(step: Step, params: Mapping[str, Any], locate: Locate) -> list[Problem]:
    """Every problem with ``params`` for ``step``."""
    problems = []
    for name, value in params.items():
        spec = step.params.get(name)
        if spec is None:
            site = locate([name], in_spec=True)
            problems.append(
                Problem(
                    f"step '{step.name}' has no parameter '{name}'",
                    file=site.file,
                    step=site.step,
                    key=site.key,
                    expected=one_of(step.params),
                    hint=did_you_mean(name, step.params),
                )
            )
            continue
        if not check_value(value, spec.annotation):
            site = locate([name])
            problems.append(
                Problem(
                    f"the '{name}' parameter of step '{step.name}' must be "
                    f"{describe(spec.annotation)}",
                    file=site.file,
                    step=site.step,
                    key=site.key,
                    expected=describe(spec.annotation),
                    got=show(value),
                )
            )
    for name, spec in step.params.items():
        if spec.required and name not in params:
            site = locate([], in_spec=True)
            problems.append(
                Problem(
                    f"step '{step.name}' needs the parameter '{name}'",
                    file=site.file,
                    step=site.step,
                    key=f"with.{name}",
                    expected=describe(spec.annotation),
                    hint=f"add '{name}: ...' under 'with'",
                )
            )
    problems.extend(check_targets(params, locate))
    return problems


def check_targets(params: Mapping[str, Any], locate: Locate) -> list[Problem]:
    """Problems with every ``_target_`` config nested anywhere in ``params``."""
    problems = []
    for path, config in find_targets(params):
        problems.extend(_check_target(path, config, locate, _built_by_owner(params, path)))
    return problems


def _built_by_owner(params: Mapping[str, Any], path: list[str]) -> bool:
    """Whether an enclosing target config says ``_recursive_: false``: the object it builds
    instantiates this one itself, adding arguments of its own (an optimizer receives the
    model's parameters), so only the names given here can be checked."""
    node: Any = params
    for key in path[:-1]:
        node = node[int(key)] if isinstance(node, list) else node[key]
        if isinstance(node, Mapping) and node.get("_recursive_") is False:
            return True
    return False


def find_targets(value: Any, path: list[str] | None = None) -> Iterator[tuple[list[str], dict[str, Any]]]:
    """Every mapping with a ``_target_`` in ``value``, with its key path."""
    path = path or []
    if isinstance(value, Mapping):
        if isinstance(value.get("_target_"), str):
            yield path, dict(value)
        for key, child in value.items():
            yield from find_targets(child, [*path, str(key)])
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from find_targets(child, [*path, str(index)])


def _check_target(path: list[str], config: Mapping[str, Any], locate: Locate,
                  built_by_owner: bool = False) -> list[Problem]:
    target = config["_target_"]
    try:
        info = inspect_target(target)
    except TargetNotFoundError as error:
        site = locate([*path, "_target_"])
        last = target.rsplit(".", 1)[-1]
        close = [s.rsplit(".", 1)[-1] for s in error.suggestions]
        hint = did_you_mean(last, close) or did_you_mean(target, error.suggestions)
        return [
            Problem(
                f"_target_ '{target}' cannot be imported: {error}",
                file=site.file,
                step=site.step,
                key=site.key,
                expected="the import path of a class or function, e.g. "
                "sklearn.linear_model.LogisticRegression",
                hint=hint,
            )
        ]
    problems = []
    partial = bool(config.get("_partial_")) or built_by_owner
    given = [k for k in config if k not in HYDRA_KEYS]
    for name in given:
        if not info.accepts(name):
            site = locate([*path, name])
            problems.append(
                Problem(
                    f"{target} has no parameter '{name}'",
                    file=site.file,
                    step=site.step,
                    key=site.key,
                    expected=one_of(info.params or ()),
                    hint=did_you_mean(name, info.params or ()),
                )
            )
    if not partial:
        for name in info.required:
            if name not in config:
                site = locate(path)
                problems.append(
                    Problem(
                        f"{target} needs the parameter '{name}'",
                        file=site.file,
                        step=site.step,
                        key=f"{site.key}.{name}" if site.key else name,
                        hint=f"set {site.key}.{name}=..." if site.key else None,
                    )
                )
    return problems


def canonical_params(step: Step, params: Mapping[str, Any]) -> dict[str, Any]:
    """``params`` with every int given for a parameter declared a float made that float.

    The step's annotations say which of its parameters are floats (in lists and
    mappings too), and each ``_target_`` config's target says which of its own are (see
    :mod:`assay.compiler.numbers`). So ``model.C=1`` and ``C: 1.0`` fingerprint alike,
    and the step receives the value its fingerprint stands for. Anything else, ints
    where an int may mean something else included, is kept as written.
    """
    canonical = {}
    for name, value in params.items():
        spec = step.params.get(name)
        shape = _float_shape(spec.annotation) if spec is not None else None
        declared = value if shape is None else _as_declared(value, shape)
        canonical[name] = _in_targets(declared)
    return canonical


Shape = Any
"""Where an annotation declares floats: ``"float"``, ``("items", Shape)`` for a list's
items, ``("values", Shape)`` for a mapping's values, ``("tuple", (Shape, ...))`` for a
fixed tuple, or None for nowhere."""


def _float_shape(annotation: Any) -> Shape:
    """The :data:`Shape` of an annotation, worked out once per annotation (a plan has
    thousands of nodes with the same few)."""
    try:
        return _cached_shape(annotation)
    except TypeError:  # an unhashable annotation
        return _shape_of(annotation)


@functools.lru_cache(maxsize=512)
def _cached_shape(annotation: Any) -> Shape:
    return _shape_of(annotation)


def _shape_of(annotation: Any) -> Shape:
    if annotation_is_float(annotation):
        return "float"
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        return _shape_of(args[0])
    if origin in (typing.Union, types.UnionType):
        members = [a for a in args if a is not type(None)]
        return _shape_of(members[0]) if len(members) == 1 else None
    if origin in (list, Sequence, tuple) and args:
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            shapes = tuple(_shape_of(a) for a in args)
            return ("tuple", shapes) if any(s is not None for s in shapes) else None
        item = _shape_of(args[0])
        return None if item is None else ("items", item)
    if origin in (dict, Mapping) and len(args) == 2:
        value = _shape_of(args[1])
        return None if value is None else ("values", value)
    return None


def _as_declared(value: Any, shape: Shape) -> Any:
    if shape == "float":
        return as_declared_float(value)
    kind, inner = shape
    if kind == "items" and isinstance(value, list):
        return _rebuilt_list(value, [_as_declared(item, inner) for item in value])
    if kind == "tuple" and isinstance(value, list) and len(value) == len(inner):
        return _rebuilt_list(value, [v if s is None else _as_declared(v, s)
                                     for v, s in zip(value, inner, strict=True)])
    if kind == "values" and isinstance(value, Mapping):
        return _rebuilt_mapping(value, {k: _as_declared(v, inner) for k, v in value.items()})
    return value


def _in_targets(value: Any) -> Any:
    """``value`` with the float parameters of every ``_target_`` config in it made floats."""
    if isinstance(value, list):
        return _rebuilt_list(value, [_in_targets(item) for item in value])
    if not isinstance(value, Mapping):
        return value
    floats: tuple[str, ...] = ()
    target = value.get("_target_")
    if isinstance(target, str):
        with contextlib.suppress(TargetNotFoundError):  # reported by check_targets
            floats = inspect_target(target).float_params
    return _rebuilt_mapping(value, {
        key: as_declared_float(child) if key in floats else _in_targets(child)
        for key, child in value.items()
    })


def _rebuilt_list(original: list[Any], items: list[Any]) -> list[Any]:
    """The original list when no item changed (so a plan keeps the caller's objects)."""
    return original if all(a is b for a, b in zip(original, items, strict=True)) else items


def _rebuilt_mapping(original: Mapping[str, Any], items: dict[str, Any]) -> Any:
    return original if all(original[k] is v for k, v in items.items()) else items
