"""The task a model is for, told without importing it; ``data.task`` checked against it.

A regressor trained on ``data.task: classification`` fails late and obscurely (a split
that "cannot stratify" a count, a fit that refuses continuous labels), so the two are
compared before anything runs. A model's kind is read the way
:mod:`assay.compiler.targets` reads parameters: an imported class is inspected
directly, any other is found on disk and its bases followed with :mod:`ast` to
scikit-learn's ``ClassifierMixin`` or ``RegressorMixin`` (or an ``_estimator_type``
it sets), so compiling imports neither scikit-learn nor torch. A kind that cannot be
told (a compiled module, a base built at import time) is unknown, never guessed.

``data.task: auto`` takes the model's task. When the kind is unknown it stays ``auto``
and the data source decides from the target column's values when it loads them.
"""

from __future__ import annotations

import ast
import functools
import inspect
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assay.compiler.params import find_targets
from assay.compiler.resolve import StepInstance
from assay.compiler.targets import _absolute_module, _find_spec, _is_package, _parse, _top_level
from assay.errors import Problem

AUTO = "auto"
MIXINS: Mapping[str, str] = {"ClassifierMixin": "classifier", "RegressorMixin": "regressor"}
"""scikit-learn's marks of a model's kind, by class name."""
TASK_OF: Mapping[str, str] = {"classifier": "classification", "regressor": "regression"}
KIND_OF: Mapping[str, str] = {task: kind for kind, task in TASK_OF.items()}
_MAX_DEPTH = 12


@functools.lru_cache(maxsize=256)
def model_kind(path: str) -> str | None:
    """``classifier`` or ``regressor`` for the class at the dotted ``path``; None when
    that cannot be told without running code."""
    parts = path.split(".")
    if len(parts) < 2 or not all(p.isidentifier() for p in parts):
        return None
    return _kind_in(".".join(parts[:-1]), parts[-1], 0)


def _kind_in(module_name: str, name: str, depth: int) -> str | None:
    if name in MIXINS:
        return MIXINS[name]
    if depth > _MAX_DEPTH:
        return None
    module = sys.modules.get(module_name)
    if module is not None:
        return _live_kind(getattr(module, name, None))
    try:
        spec = _find_spec(module_name)
    except (ImportError, ValueError):
        return None
    if spec is None or not (spec.origin and spec.origin.endswith(".py")):
        return None
    return _static_kind(module_name, Path(spec.origin), name, depth)


def _live_kind(obj: Any) -> str | None:
    if not inspect.isclass(obj):
        return None
    for cls in inspect.getmro(obj):
        if cls.__name__ in MIXINS:
            return MIXINS[cls.__name__]
    declared = getattr(obj, "_estimator_type", None)
    return declared if declared in TASK_OF else None


def _static_kind(module_name: str, file: Path, name: str, depth: int) -> str | None:
    try:
        tree = _parse(file)
    except (OSError, SyntaxError, UnicodeDecodeError):
        return None
    for node in _top_level(tree.body):
        if isinstance(node, ast.ClassDef) and node.name == name:
            return _class_kind(module_name, file, node, depth)
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if (alias.asname or alias.name) == name:
                    source = _absolute_module(module_name, _is_package(file), node.module,
                                              node.level)
                    return _kind_in(source, alias.name, depth + 1) if source else None
    return None


def _class_kind(module_name: str, file: Path, node: ast.ClassDef, depth: int) -> str | None:
    for item in node.body:
        if (isinstance(item, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "_estimator_type" for t in item.targets)
                and isinstance(item.value, ast.Constant) and item.value.value in TASK_OF):
            return str(item.value.value)
    for base in node.bases:  # left to right, depth first: the order the MRO mostly has
        if isinstance(base, ast.Attribute) and base.attr in MIXINS:
            return MIXINS[base.attr]
        if isinstance(base, ast.Name):
            kind = _kind_in(module_name, base.id, depth + 1) if base.id in MIXINS else \
                _static_kind(module_name, file, base.id, depth + 1)
            if kind is not None:
                return kind
    return None


@dataclass(frozen=True)
class TaskCheck:
    """The data's task and the model's kind, as the composed config gives them.

    Attributes:
        task: ``data.task`` (after ``auto`` is settled), or None when the data config
            has no task.
        data: How messages name the data.
        model: The model's ``_target_``, or None when the config has no model.
        kind: The model's kind, or None when unknown.
    """

    task: str | None = None
    data: str = "the data"
    model: str | None = None
    kind: str | None = None

    def problems(self, instances: Iterable[StepInstance],
                 locate: Callable[[StepInstance], Callable[..., Any]]) -> list[Problem]:
        """A problem when a step trains the model on data of the other task.

        ``locate(instance)`` gives the locator of a step's parameters (file, step, key).
        """
        task, kind = self.task, self.kind
        if kind is None or task is None or task not in KIND_OF or TASK_OF[kind] == task:
            return []
        for instance in instances:
            for path, config in find_targets(instance.params):
                if config.get("_target_") != self.model:
                    continue
                site = locate(instance)(list(path))
                assert self.model is not None
                name, wanted = self.model.rsplit(".", 1)[-1], KIND_OF[task]
                return [Problem(
                    f"{name} is a {kind}, but '{self.data}' is a {task} task",
                    file=site.file, step=site.step, key=site.key, expected=f"a {wanted}",
                    hint=f"pick a {wanted} (e.g. model=ridge for regression, model=logistic "
                    f"for classification), or set data.task={TASK_OF[kind]} if that is "
                    f"the task (data.task=auto follows the model)")]
        return []


def settle_task(cfg: Any) -> TaskCheck:
    """Reads ``data.task`` and the model's kind from ``cfg``; sets ``data.task`` to the
    model's task when it is ``auto`` and the kind is known (in ``cfg`` itself, so whatever
    reads the config afterwards sees the task the run uses)."""
    from omegaconf import DictConfig, OmegaConf, read_write
    from omegaconf.errors import OmegaConfBaseException

    try:
        data, model = cfg.get("data"), cfg.get("model")
        task = data.get("task") if isinstance(data, DictConfig) else None
        target = model.get("_target_") if isinstance(model, DictConfig) else None
    except OmegaConfBaseException:
        return TaskCheck()  # an unresolvable value: the resolver reports it
    if not isinstance(target, str):
        return TaskCheck(task if isinstance(task, str) else None)
    kind = model_kind(target)
    assert isinstance(data, DictConfig) or task is None
    if task == AUTO and kind is not None and isinstance(data, DictConfig):
        with read_write(data):
            OmegaConf.update(data, "task", TASK_OF[kind], force_add=True)
        task = TASK_OF[kind]
    name = data.get("name") or data.get("path") if isinstance(data, DictConfig) else None
    return TaskCheck(task if isinstance(task, str) else None,
                     str(name) if isinstance(name, str) else "the data", target, kind)
