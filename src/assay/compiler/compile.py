"""Spec + composed config + step catalog → a checked, fingerprinted :class:`Plan`.

Every check runs before anything is reported, so a user sees all problems of a
pipeline at once: unknown steps, parameters and inputs, type and range errors,
unresolvable interpolations, ``_target_`` paths that do not import, cycles and
missing data files.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assay.catalog import FilePath, Step, StepCatalog
from assay.compiler.allowed_targets import TargetPolicy, target_problems, uses_problem
from assay.compiler.collector import paused_gc
from assay.compiler.fingerprint import fingerprint_of, normalise
from assay.compiler.graph import Wiring, build_graph
from assay.compiler.params import ParamSite, canonical_params, check_params, find_targets
from assay.compiler.plan import Plan, PlanNode, Source
from assay.compiler.resolve import SpecResolver, StepInstance
from assay.compiler.spec import PipelineSpec
from assay.compiler.targets import TargetNotFoundError, inspect_target
from assay.compiler.task_kind import settle_task
from assay.config.project import display_path
from assay.config.secrets import redactor_for
from assay.errors import CompileError, Problem

if TYPE_CHECKING:
    from omegaconf import DictConfig

    from assay.config.validate import ConfigOrigin

HashFile = Callable[[Path], str]
"""Returns the content hash of a file (the store caches these by size and mtime)."""


def compile_plan(
    spec: PipelineSpec,
    cfg: DictConfig,
    catalog: StepCatalog,
    *,
    hash_file: HashFile,
    base_dir: Path,
    origin: ConfigOrigin | None = None,
) -> Plan:
    """Compiles ``spec`` against ``cfg``.

    Args:
        spec: The parsed pipeline spec.
        cfg: The composed, validated config.
        catalog: The steps ``uses`` may name.
        hash_file: Content hash of a data file.
        base_dir: Directory relative data paths are resolved against.
        origin: Where config values came from, for messages.

    Raises:
        CompileError: listing every problem found.
    """
    with paused_gc():
        return _Compiler(spec, cfg, catalog, hash_file, base_dir, origin).compile()


class _Compiler:
    def __init__(
        self,
        spec: PipelineSpec,
        cfg: DictConfig,
        catalog: StepCatalog,
        hash_file: HashFile,
        base_dir: Path,
        origin: ConfigOrigin | None,
    ) -> None:
        self.spec = spec
        self.catalog = catalog
        self.hash_file = hash_file
        self.base_dir = base_dir
        self.origin = origin
        self.task = settle_task(cfg)  # before the resolver copies cfg: data.task=auto is set
        self.resolver = SpecResolver(spec, cfg)
        self.problems: list[Problem] = []
        self.policy = TargetPolicy(base_dir, _allowed_targets(cfg))
        self.redactor = redactor_for(cfg)

    def compile(self) -> Plan:
        resolution = self.resolver.resolve()
        self.problems.extend(self.task.problems(resolution.instances, self._locator))
        self.problems.extend(self.resolver.problems)
        steps = self._resolve_steps()
        for instance in resolution.instances:
            declared = steps.get(instance.entry.name)
            if declared is not None:
                self.problems.extend(
                    check_params(declared, instance.params, self._locator(instance))
                )
            # before anything runs: a _target_ is code that Hydra imports and calls
            self.problems.extend(target_problems(instance.params, self._locator(instance),
                                                 self.policy))
        wiring, wiring_problems = build_graph(
            self.spec, resolution.instances, steps, resolution.disabled
        )
        self.problems.extend(wiring_problems)
        metrics = self._metrics(steps, resolution.disabled)
        files = {i.node_id: self._files(i, steps.get(i.entry.name)) for i in resolution.instances}
        if self.problems:
            raise CompileError(list(dict.fromkeys(self.problems)))
        return self._fingerprinted(wiring, steps, files, metrics)

    def _resolve_steps(self) -> dict[str, Step]:
        steps = {}
        declared = {known.reference for known in self.catalog}  # naming one imports nothing
        for entry in self.spec.steps.values():
            if not entry.uses:
                continue  # reported by the spec reader
            refused = uses_problem(entry.uses, declared, self.policy,
                                   self.spec.where(entry.name, "uses"), entry.name)
            if refused is not None:
                self.problems.append(refused)  # resolving it would import the module
                continue
            try:
                steps[entry.name] = self.catalog.resolve(entry.uses)
            except LookupError as error:
                self.problems.append(
                    Problem(
                        f"unknown step '{entry.uses}': {error}",
                        file=self.spec.where(entry.name, "uses"),
                        step=entry.name,
                        key="uses",
                    )
                )
        return steps

    def _locator(self, instance: StepInstance) -> Callable[..., ParamSite]:
        entry = instance.entry

        def locate(path: list[str], in_spec: bool = False) -> ParamSite:
            config_key = None if in_spec else self.resolver.config_key(entry, path)
            if config_key and self.origin is not None:
                return ParamSite(self.origin.where(config_key), entry.name, config_key)
            parts = [str(part) for part in path]  # YAML keys may be numbers: `{1: 2}`
            key = ".".join(["with", *parts])
            return ParamSite(self.spec.where(entry.name, ".".join(["with", *parts[:1]])),
                             entry.name, key)

        return locate

    def _metrics(self, steps: Mapping[str, Step], disabled: frozenset[str]) -> tuple[Source, ...]:
        sources = []
        for ref in self.spec.metrics:
            declared = steps.get(ref.step)
            if ref.step in disabled:
                continue
            if declared is None or declared.outputs.get(ref.output) != "metrics":
                if ref.step in self.spec.steps and declared is None:
                    continue  # the unknown step is reported already
                self.problems.append(
                    Problem(
                        f"'{ref}' in 'metrics' is not a metrics output of a step",
                        file=self.spec.where(None),
                        key="metrics",
                        expected="'step.output' naming an output of kind 'metrics'",
                        got=repr(str(ref)),
                    )
                )
                continue
            if ref.step in self.spec.steps and self.spec.steps[ref.step].foreach is None:
                sources.append(Source(ref.step, ref.output))
        return tuple(sources)

    def _files(self, instance: StepInstance, declared: Step | None) -> dict[str, tuple[str, str]]:
        """Data files the instance names: param path → (absolute path, content hash)."""
        if declared is None:
            return {}
        paths: dict[str, str] = {
            name: value
            for name, value in instance.params.items()
            if name in declared.params
            and declared.params[name].annotation is FilePath
            and isinstance(value, str)
        }
        for path, config in find_targets(instance.params):
            try:
                info = inspect_target(config["_target_"])
            except TargetNotFoundError:
                continue
            for name in info.file_params:
                if isinstance(config.get(name), str):
                    paths[".".join([*path, name])] = config[name]
        found = {}
        for param_path, raw in paths.items():
            absolute = (self.base_dir / raw).resolve()
            if absolute.is_file() or (absolute.is_dir() and any(absolute.glob("*.parquet"))):
                found[param_path] = (str(absolute), self._hash(absolute))
                continue
            site = self._locator(instance)(param_path.split("."))
            missing = "a folder with no Parquet files" if absolute.is_dir() else "data file not found"
            self.problems.append(
                Problem(
                    f"{missing}: {display_path(absolute)}",
                    file=site.file,
                    step=site.step,
                    key=site.key,
                    expected=f"an existing file (relative paths start at {self.base_dir})",
                    got=repr(raw),
                )
            )
        return found

    def _hash(self, path: Path) -> str:
        if path.is_dir():
            parts = [f"{p.name}:{self.hash_file(p)}" for p in sorted(path.glob("*.parquet"))]
            return fingerprint_of({"directory": parts})
        return self.hash_file(path)

    def _fingerprinted(
        self,
        wiring: Wiring,
        steps: Mapping[str, Step],
        files: Mapping[str, Mapping[str, tuple[str, str]]],
        metrics: tuple[Source, ...],
    ) -> Plan:
        import networkx as nx

        graph = nx.DiGraph()
        fingerprints: dict[str, str] = {}
        for node_id in nx.topological_sort(wiring.graph):
            instance: StepInstance = wiring.graph.nodes[node_id]["instance"]
            declared = steps[instance.entry.name]
            bindings = wiring.bindings.get(node_id, ())
            node_files = files.get(node_id, {})
            params = canonical_params(declared, instance.params)  # C=1 is C: 1.0
            components = {
                "step": declared.name,
                "code": declared.code_version,
                "params": normalise(params),
                "inputs": {
                    b.name: [f"{fingerprints[s.node]}:{s.output}" for s in b.sources]
                    for b in bindings
                },
                "files": {key: digest for key, (_, digest) in sorted(node_files.items())},
                "targets": _target_versions(instance.params),
            }
            fingerprint = fingerprint_of(components, normalised=True)
            # what is recorded (node history, manifests) holds no credential in clear; the
            # fingerprint above has the real values, the step receives them
            components["params"] = self.redactor.data(components["params"])
            fingerprints[node_id] = fingerprint
            graph.add_node(
                node_id,
                node=PlanNode(
                    id=node_id,
                    step=declared.name,
                    reference=declared.reference,
                    params=_with_absolute_paths(params, node_files),
                    inputs=bindings,
                    outputs=dict(declared.outputs),
                    fingerprint=fingerprint,
                    components=components,
                    resources=declared.resources(instance.params),
                    spec_step=instance.entry.name,
                    config_keys=self._config_keys(instance),
                ),
            )
        graph.add_edges_from(wiring.graph.edges(data=True))
        return Plan(graph, self.spec.name, self.spec.file, metrics)

    def _config_keys(self, instance: StepInstance) -> dict[str, str]:
        keys = {}
        for name in instance.params:
            key = self.resolver.config_key(instance.entry, [name])
            if key:
                keys[name] = key
        return keys


def _allowed_targets(cfg: DictConfig) -> list[str]:
    """``security.allow_targets``: extra module prefixes (absent: none). Read directly: the
    schema check has run, and merging its defaults again is a cost every sweep job pays."""
    from omegaconf import OmegaConf

    return [str(p) for p in OmegaConf.select(cfg, "security.allow_targets", default=None) or []]


def _target_versions(params: Mapping[str, Any]) -> dict[str, str]:
    versions = {}
    for _, config in find_targets(params):
        try:
            info = inspect_target(config["_target_"])
        except TargetNotFoundError:
            continue
        if info.code_version:
            versions[info.path] = info.code_version
    return versions


def _with_absolute_paths(
    params: Mapping[str, Any], files: Mapping[str, tuple[str, str]]
) -> dict[str, Any]:
    """Params with data paths made absolute, so a worker in another directory finds them."""
    if not files:
        return dict(params)
    resolved = copy.deepcopy(dict(params))
    for param_path, (absolute, _) in files.items():
        keys = param_path.split(".")
        node: Any = resolved
        for key in keys[:-1]:
            node = node[int(key)] if isinstance(node, list) else node[key]
        node[keys[-1]] = absolute
    return resolved
