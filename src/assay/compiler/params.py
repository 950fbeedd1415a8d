"""Checking a step instance's parameters: names, types, ranges and ``_target_`` configs."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from assay.catalog import Step
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
