"""Reproducing a registered version: its recorded config, run again in a fresh store.

The recorded config is run as it was (nothing is re-read from ``configs/``), in a
store that has nothing cached, so every step really runs again. Then every step
fingerprint, every metric and the model's checksum are compared with the recorded
ones. A step whose fingerprint changed while its inputs did not is a cause; its
recorded fingerprint components (in the original store) say what changed: a data
file, a parameter, the code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from omegaconf import DictConfig, OmegaConf

from assay.compiler.plan import PlanNode
from assay.config.compose import compose
from assay.config.project import Project, display_path
from assay.config.secrets import restore_secrets
from assay.config.sections import section
from assay.engine.execute import RunReport, execute
from assay.engine.prepare import PreparedRun, prepare
from assay.executor.cache import explain
from assay.registry import ModelVersion
from assay.registry.diff import short_fingerprint
from assay.store import Store


@dataclass(frozen=True)
class Difference:
    """One way the reproduction differs from the recorded version."""

    kind: str  # dataset, step, metric, model
    subject: str
    recorded: Any
    reproduced: Any
    detail: str = ""

    def describe(self) -> str:
        """One line for people."""
        if self.recorded is None and self.reproduced is None:
            return f"{self.kind} {self.subject}: {self.detail}"
        text = (f"{self.kind} {self.subject}: recorded {short_fingerprint(self.recorded)}, "
                f"reproduced {short_fingerprint(self.reproduced)}")
        return f"{text} ({self.detail})" if self.detail else text


@dataclass
class Reproduction:
    """The outcome of reproducing one version."""

    ref: str
    store: str
    run_id: str = ""
    differences: list[Difference] = field(default_factory=list)
    notes: list[Difference] = field(default_factory=list)
    compared: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether every step fingerprint and metric matches (the model's checksum is a note)."""
        return not self.differences

    @property
    def model_matches(self) -> bool:
        """Whether the reproduced model artifact has the recorded checksum."""
        return self.ok and not any(note.kind == "model" for note in self.notes)

    def to_json(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        return {"ref": self.ref, "ok": self.ok, "store": self.store, "run_id": self.run_id,
                "compared": self.compared, "model_matches": self.model_matches,
                "differences": [d.__dict__ for d in self.differences],
                "notes": [d.__dict__ for d in self.notes]}


def reproduce(version: ModelVersion, project: Project, original: Store, fresh_root: Path,
              announce: Callable[[str], None] | None = None) -> Reproduction:
    """Runs ``version``'s recorded config in ``fresh_root`` and compares what it made."""
    cfg = recorded_config(version, project, fresh_root.absolute())
    prepared = prepare(cfg, project)
    report = execute(prepared, overrides=version.overrides, announce=announce)
    result = Reproduction(version.ref, str(fresh_root), report.run_id)
    result.differences.extend(_steps(version, prepared, original))
    differences, notes = _outcome(version, report)
    result.differences.extend(differences)
    result.notes.extend(notes)
    result.compared = {"steps": len(version.fingerprints), "metrics": len(version.metrics)}
    return result


def recorded_config(version: ModelVersion, project: Project, store_root: Path) -> DictConfig:
    """``version``'s recorded config, to run again with its store at ``store_root``.

    Credentials were recorded as ``***``: they are read where the project keeps them now.
    A stored record never widens what may run (whoever can write the store could otherwise
    allow its own targets and pickles): the project's current security settings apply.
    """
    current = compose(project, [])
    cfg = OmegaConf.create(restore_secrets(yaml.safe_load(version.config), current))
    assert isinstance(cfg, DictConfig)
    cfg.store.root = str(store_root)
    cfg.security = section(current, "security")
    return cfg


def _steps(version: ModelVersion, prepared: PreparedRun, original: Store) -> list[Difference]:
    plan = prepared.plan
    recorded = dict(version.fingerprints)
    now = {node.id: node.fingerprint for node in plan}
    changed = {n for n in recorded if now.get(n) != recorded[n]}
    differences = []
    downstream = []
    for node_id in [n for n in plan.order() if n in changed]:
        node = plan.node(node_id)
        if any(p in changed for p in plan.producers(node_id)):
            downstream.append(node_id)  # reported through its cause
            continue
        before = original.metadata.components(plan.pipeline, node_id, recorded[node_id])
        status = explain(node, before)
        detail = status.reason + (f": {status.detail}" if status.detail else "")
        is_source = not node.inputs and "dataset" in node.outputs.values()
        kind = "dataset" if is_source or status.reason == "data changed" else "step"
        files = _data_files(node)
        subject = f"'{node_id}'" + (f" ({files})" if kind == "dataset" and files else "")
        differences.append(Difference(kind, subject, recorded[node_id], now[node_id],
                                      f"fingerprint differs: {detail}"))
    if downstream:
        differences.append(Difference(
            "steps", ", ".join(downstream), None, None,
            "fingerprints differ because their inputs changed"))
    for node_id in sorted(set(recorded) - set(now)):
        differences.append(Difference("step", f"'{node_id}'", recorded[node_id], None,
                                      "no longer in the plan"))
    return differences


def _outcome(version: ModelVersion,
             report: RunReport) -> tuple[list[Difference], list[Difference]]:
    """Differences in what the run produced, and notes that do not fail a reproduction."""
    if report.failures:
        return [Difference("step", f.node, "ran", "failed", f.summary())
                for f in report.failures], []
    made = next((r.version for r in report.registrations if r.version.name == version.name), None)
    if made is None:
        return [Difference("model", version.name, version.ref, None,
                           "the reproduced run registered no version of it")], []
    differences = [Difference("metric", name, value, made.metrics.get(name))
                   for name, value in version.metrics.items()
                   if made.metrics.get(name) != value]
    differences.extend(Difference("metric", name, None, value)
                       for name, value in made.metrics.items() if name not in version.metrics)
    notes = []
    if made.model_sha256 != version.model_sha256:
        # Equal estimators can pickle to different bytes (shared versus copied objects),
        # so the checksum is reported, while the metrics decide.
        notes.append(Difference("model", "artifact checksum", version.model_sha256,
                                made.model_sha256, "the pickled bytes differ"))
    return differences, notes


def _data_files(node: PlanNode) -> str:
    """The data files a node reads: the parameter values its fingerprint hashed."""
    shown = []
    for key in sorted(node.components.get("files") or {}):
        value: Any = node.params
        for part in key.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
        shown.append(display_path(Path(value)) if isinstance(value, str) else key)
    return ", ".join(shown)
