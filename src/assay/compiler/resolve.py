"""Resolving a spec's interpolations (``${model}``, ``${item}``) against the composed config.

Each step's ``with``, ``when`` and ``foreach`` are resolved in the context of the
whole composed config, so ``${split.test_size}`` means exactly what it means in a
Hydra config file. A repeated step is resolved once per item, with ``${item}``
bound to that item.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from assay.compiler.spec import PipelineSpec, StepEntry
from assay.config.sections import without_hydra
from assay.errors import Problem, did_you_mean

_SLOT = "__assay_step__"
_NO_ITEM: object = object()
_ITEM = "item"
_WHOLE_INTERPOLATION = re.compile(r"^\$\{([A-Za-z_][\w.]*)\}$")

MAX_INSTANCES = 10_000
"""Instances a ``foreach`` may make of one step: each is a node of the plan, and a count
such as 10**9 would otherwise be built item by item before anything is reported."""


@dataclass(frozen=True)
class StepInstance:
    """One call of a spec step after resolution."""

    entry: StepEntry
    node_id: str
    params: Mapping[str, Any]
    item: Any = None


@dataclass(frozen=True)
class Resolution:
    """The resolved instances of every enabled step, and the steps turned off by ``when``."""

    instances: tuple[StepInstance, ...]
    disabled: frozenset[str]


class SpecResolver:
    """Resolves a spec's steps against one composed config."""

    def __init__(self, spec: PipelineSpec, cfg: DictConfig) -> None:
        self.spec = spec
        self._root: DictConfig = without_hydra(cfg)
        self._config_keys = [str(k) for k in self._root]
        self._values: dict[str, Any] = {}
        self.problems: list[Problem] = []

    def resolve(self) -> Resolution:
        """Every enabled step instance; problems are collected in ``self.problems``."""
        instances: list[StepInstance] = []
        disabled: set[str] = set()
        for entry in self.spec.steps.values():
            when = self._resolve(entry, "when", entry.when)
            if when is _FAILED:
                continue
            if not self._check_when(entry, when):
                disabled.add(entry.name)
                continue
            instances.extend(self._instances(entry))
        return Resolution(tuple(instances), frozenset(disabled))

    def config_key(self, entry: StepEntry, param_path: list[str]) -> str | None:
        """The config key a parameter came from, when the spec interpolates it directly.

        ``with: {source: ${data}}`` and the path ``source.path`` give ``data.path``.
        """
        if not isinstance(entry.params, Mapping) or not param_path:
            whole = _WHOLE_INTERPOLATION.match(entry.params) if isinstance(entry.params, str) else None
            return ".".join([whole.group(1), *map(str, param_path)]) if whole else None
        raw = entry.params.get(param_path[0])
        match = _WHOLE_INTERPOLATION.match(raw) if isinstance(raw, str) else None
        if match is None or match.group(1) == _ITEM:
            return None
        return ".".join([match.group(1), *map(str, param_path[1:])])

    def _check_when(self, entry: StepEntry, when: Any) -> bool:
        if isinstance(when, bool | int) or when is None:
            return bool(when)
        self.problems.append(
            Problem(
                "'when' must resolve to a boolean or a number",
                file=self.spec.where(entry.name, "when"),
                step=entry.name,
                key="when",
                got=repr(when),
            )
        )
        return False

    def _instances(self, entry: StepEntry) -> list[StepInstance]:
        if entry.foreach is None:
            params = self._resolve(entry, "with", entry.params)
            return [] if params is _FAILED else self._checked(entry, entry.name, params, None)
        items = self._resolve(entry, "foreach", entry.foreach)
        if items is _FAILED:
            return []
        if isinstance(items, list):
            size = len(items)
        elif isinstance(items, int) and not isinstance(items, bool) and items >= 0:
            size = items
        else:
            self.problems.append(
                Problem(
                    "'foreach' must resolve to a list or a count",
                    file=self.spec.where(entry.name, "foreach"),
                    step=entry.name,
                    key="foreach",
                    expected="a list, or a count of 0 or more",
                    got=repr(items),
                )
            )
            return []
        if size > MAX_INSTANCES:
            self.problems.append(
                Problem(
                    f"'foreach' repeats the step more than {MAX_INSTANCES} times",
                    file=self.spec.where(entry.name, "foreach"),
                    step=entry.name,
                    key="foreach",
                    expected=f"at most {MAX_INSTANCES} instances",
                    got=f"{size} instances",
                )
            )
            return []
        if not isinstance(items, list):
            items = list(range(items))
        instances = []
        for index, item in enumerate(items):
            params = self._resolve(entry, "with", entry.params, item=item)
            if params is _FAILED:
                break
            instances.extend(self._checked(entry, f"{entry.name}[{index}]", params, item))
        return instances

    def _checked(
        self, entry: StepEntry, node_id: str, params: Any, item: Any
    ) -> list[StepInstance]:
        if params is None:
            params = {}
        if not isinstance(params, dict):
            self.problems.append(
                Problem(
                    "'with' must resolve to a mapping of parameter names to values",
                    file=self.spec.where(entry.name, "with"),
                    step=entry.name,
                    key="with",
                    got=repr(params),
                )
            )
            return []
        found = _non_text_key(params)
        if found is not None:  # YAML reads `1:` or `true:` as a number or a boolean
            path, name = found
            self.problems.append(
                Problem(
                    "parameter names and the keys of mappings inside parameters must be text",
                    file=self.spec.where(entry.name, ".".join(["with", *path[:1]])),
                    step=entry.name,
                    key=".".join(["with", *path]),
                    expected="text keys such as 'test_size' (a fingerprint is built from "
                    "them); quote a key that YAML reads as a number, a boolean or null",
                    got=f"{name!r} ({type(name).__name__})",
                )
            )
            return []
        return [StepInstance(entry, node_id, params, item)]

    def _resolve(self, entry: StepEntry, key: str, raw: Any, item: Any = _NO_ITEM) -> Any:
        if not _has_interpolation(raw):
            return raw
        try:
            return self._substitute(raw, item)
        except _NeedsOmegaConf:
            return self._resolve_with_omegaconf(entry, key, raw, item)

    def _substitute(self, raw: Any, item: Any) -> Any:
        """Fast path for the usual case, whole values such as ``${model}`` or ``${item}``.

        Each config key is resolved once per compile; anything else (string templates,
        resolvers, errors to report) goes through OmegaConf itself.
        """
        if isinstance(raw, str):
            match = _WHOLE_INTERPOLATION.match(raw)
            if match is None:
                if "${" in raw:
                    raise _NeedsOmegaConf
                return raw
            name = match.group(1)
            if name == _ITEM and item is not _NO_ITEM:
                return item
            if name == _ITEM or name.startswith(_ITEM + "."):
                raise _NeedsOmegaConf
            return copy.deepcopy(self._config_value(name))
        if isinstance(raw, Mapping):
            return {k: self._substitute(v, item) for k, v in raw.items()}
        if isinstance(raw, list):
            return [self._substitute(v, item) for v in raw]
        return raw

    def _config_value(self, key: str) -> Any:
        if key not in self._values:
            try:
                node = OmegaConf.select(self._root, key, default=_NO_ITEM, throw_on_missing=True)
                if node is _NO_ITEM:
                    raise _NeedsOmegaConf
                if isinstance(node, DictConfig | ListConfig):
                    node = OmegaConf.to_container(node, resolve=True)
            except OmegaConfBaseException as error:
                raise _NeedsOmegaConf from error
            self._values[key] = node
        return self._values[key]

    def _resolve_with_omegaconf(self, entry: StepEntry, key: str, raw: Any, item: Any) -> Any:
        if item is not _NO_ITEM:
            self._root[_ITEM] = item
        try:
            self._root[_SLOT] = {"value": raw}
            resolved: Any = OmegaConf.to_container(self._root[_SLOT], resolve=True)
            return resolved["value"]
        except OmegaConfBaseException as error:
            self.problems.append(self._interpolation_problem(entry, key, error))
            return _FAILED
        finally:
            if _SLOT in self._root:
                del self._root[_SLOT]
            if item is not _NO_ITEM:
                del self._root[_ITEM]

    def _interpolation_problem(
        self, entry: StepEntry, key: str, error: OmegaConfBaseException
    ) -> Problem:
        text = str(error).splitlines()[0]
        full_key = str(getattr(error, "full_key", "") or "")
        sub_key = full_key.replace(f"{_SLOT}.value", key, 1) if full_key.startswith(_SLOT) else key
        missing = re.search(r"Interpolation key '([^']+)' not found", text)
        hint = None
        if missing:
            head = missing.group(1).split(".")[0]
            hint = did_you_mean(head, [*self._config_keys, _ITEM]) if head != _ITEM else (
                "${item} is only defined in steps with 'foreach'"
            )
        return Problem(
            f"cannot resolve an interpolation: {text}",
            file=self.spec.where(entry.name, sub_key.split(".")[0] if "." in sub_key else key),
            step=entry.name,
            key=sub_key,
            expected="a ${...} reference to a key of the composed config (assay run --cfg job)",
            hint=hint,
        )


class _NeedsOmegaConf(Exception):
    """The fast path cannot resolve this value; OmegaConf will (or will explain why not)."""


class _Failed:
    """Marker for a value whose resolution failed (None is a valid value)."""


_FAILED: Any = _Failed()


def _non_text_key(value: Any) -> tuple[list[str], Any] | None:
    """The path to the first mapping key inside ``value`` that is not text, and that key."""
    pending: list[tuple[Any, list[str]]] = [(value, [])]
    while pending:
        node, path = pending.pop()
        if isinstance(node, Mapping):
            for key, child in node.items():
                if not isinstance(key, str):
                    return path, key
                if isinstance(child, Mapping | list):
                    pending.append((child, [*path, key]))
        elif isinstance(node, list):
            pending.extend((child, [*path, str(index)]) for index, child in enumerate(node)
                           if isinstance(child, Mapping | list))
    return None


def _has_interpolation(raw: Any) -> bool:
    if isinstance(raw, str):
        return "${" in raw
    if isinstance(raw, Mapping):
        return any(_has_interpolation(v) for v in raw.values())
    if isinstance(raw, list):
        return any(_has_interpolation(v) for v in raw)
    return False
