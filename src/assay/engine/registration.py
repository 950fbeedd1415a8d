"""After a run: each register step that finished becomes a registry version, then the gate.

The register step's cached record says what was trained on what; this module adds
what only the run knows (run id, resolved config, overrides, every step fingerprint,
the model artifact's checksum, the code commit and library versions) and registers
the version. A plan that did not change finds its version already registered and
reports it. When ``registry.promote`` names a metric, the gate decides whether the
version takes the alias, and the decision is recorded either way.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from assay.compiler.plan import PlanNode
from assay.config.secrets import redactor_for
from assay.config.sections import section
from assay.engine.prepare import PreparedRun
from assay.errors import AssayError
from assay.registry import (
    DatasetUse,
    GateDecision,
    ModelRegistry,
    ModelVersion,
    NewVersion,
    Promotion,
    decide_promotion,
)
from assay.registry.lineage import code_state, package_versions
from assay.store import TaskRecord

REGISTER_STEP = "register_model"
DATASET_ROLES = ("data", "train", "test")


@dataclass(frozen=True)
class Registration:
    """One version a run registered (or found already registered) and its gate decision."""

    version: ModelVersion
    created: bool
    decision: GateDecision | None = None

    @property
    def refused(self) -> bool:
        """Whether a gate ran and kept the version from its alias."""
        return self.decision is not None and not self.decision.promoted

    def describe(self) -> list[str]:
        """Lines for the run summary."""
        ref = self.version.ref
        lines = [f"registered {ref}" if self.created
                 else f"{ref} is already registered for this unchanged plan (no new version)"]
        if self.decision is not None:
            alias = self.decision.alias
            verdict = (f"{ref} is now {self.version.name}@{alias}" if self.decision.promoted
                       else f"{ref} was not promoted to {alias}")
            lines.append(f"promotion gate: {verdict}: " + "; ".join(self.decision.reasons))
        return lines


class PromotionRefused(AssayError):
    """``registry.require_promotion`` is set and the gate kept a version from its alias."""

    exit_code = 3

    def __init__(self, refused: Sequence[Registration]) -> None:
        self.refused = list(refused)
        super().__init__(self.render())

    def render(self) -> str:
        """The refusals, one per version, with the gate's reasons."""
        lines = ["the promotion gate refused (registry.require_promotion=true):"]
        for registration in self.refused:
            assert registration.decision is not None
            lines.append(f"  {registration.version.ref}: "
                         + "; ".join(registration.decision.reasons))
        return "\n".join(lines)


def register_run(prepared: PreparedRun, run_id: str, records: Sequence[TaskRecord],
                 overrides: Sequence[str],
                 code: Mapping[str, Any] | None = None) -> list[Registration]:
    """Registers every register node of the run that ran or came from cache.

    ``code`` is the project's git state when the caller already read it (the jobs of a
    sweep share one reading instead of asking git once per job).
    """
    done = {r.node for r in records if r.status in ("ran", "cached")}
    nodes = [n for n in prepared.plan if n.step == REGISTER_STEP and n.id in done]
    if not nodes:
        return []
    settings = section(prepared.cfg, "registry")
    registry = ModelRegistry(prepared.store.metadata)
    shared: dict[str, Any] = {}
    redactor = redactor_for(prepared.cfg)

    def lineage() -> dict[str, Any]:
        # Read only when a version is new: an unchanged plan's re-run skips git and the
        # package metadata scan (~0.2 s) and just reports its version.
        if not shared:
            shared.update({
                "run_id": run_id,
                "pipeline": prepared.plan.pipeline,
                # credentials as ***: a version's record is never rewritten
                "config": redactor.config_yaml(prepared.cfg),
                "overrides": redactor.overrides(overrides),
                "fingerprints": {n.id: n.fingerprint for n in prepared.plan},
                "code": code if code is not None else code_state(prepared.project.root),
                "packages": dict(package_versions()),
                "tags": {str(k): str(v) for k, v in (settings.get("tags") or {}).items()},
            })
        return shared

    registrations = []
    try:
        for node in nodes:
            record = prepared.store.artifacts.read(node.fingerprint, "record")
            version = registry.find(str(record["name"]), node.fingerprint)
            created = False
            if version is None:
                version, created = registry.register(_new_version(prepared, node, record,
                                                                  lineage()))
            registrations.append(_through_gate(registry, settings["promote"], version, created,
                                               run_id))
    except BaseException as error:
        # The run was recorded as running until its versions are registered: they were not.
        status = "interrupted" if isinstance(error, KeyboardInterrupt) else "failed"
        prepared.store.metadata.mark_run(run_id, status, f"registration failed: {error}")
        raise
    prepared.store.metadata.settle_run(run_id, "succeeded")
    return registrations


def raise_for_refusals(registrations: Sequence[Registration], cfg: Any) -> None:
    """Raises :class:`PromotionRefused` when the config requires promotion and it failed."""
    refused = [r for r in registrations if r.refused]
    if refused and section(cfg, "registry").get("require_promotion"):
        raise PromotionRefused(refused)


def _new_version(prepared: PreparedRun, node: PlanNode, record: Mapping[str, Any],
                 shared: Mapping[str, Any]) -> NewVersion:
    store, plan = prepared.store, prepared.plan
    sources = {b.name: b.sources[0] for b in node.inputs if b.sources}
    model = sources["model"]
    model_fingerprint = plan.node(model.node).fingerprint
    manifest = store.artifacts.manifest(model_fingerprint)
    if manifest is None or model.output not in manifest.outputs:
        raise AssayError(f"the model of {node.id} ({model_fingerprint[:12]}) is not in the store")
    described = record.get("datasets", {})
    datasets = tuple(
        DatasetUse(role, sources[role].node, plan.node(sources[role].node).fingerprint,
                   described.get(role, {}).get("name"), described.get(role, {}).get("rows"),
                   described.get(role, {}).get("columns", {}))
        for role in DATASET_ROLES if role in sources
    )
    return NewVersion(
        name=str(record["name"]),
        register_fingerprint=node.fingerprint,
        model_fingerprint=model_fingerprint,
        model_sha256=manifest.outputs[model.output].sha256,
        estimator=record.get("estimator"),
        task=record.get("task"),
        metrics=record.get("metrics", {}),
        training=record.get("training"),
        datasets=datasets,
        **shared,
    )


def _through_gate(registry: ModelRegistry, gate: Mapping[str, Any], version: ModelVersion,
                  created: bool, run_id: str) -> Registration:
    if not gate.get("metric"):
        return Registration(version, created)
    alias = str(gate["alias"])
    holder = registry.alias_version(version.name, alias)
    if holder == version.version:
        decision = GateDecision(True, alias, (f"{version.ref} is already {alias}",))
        return Registration(version, created, decision)
    rival = None
    if gate.get("must_beat"):
        rival_version = registry.alias_version(version.name, str(gate["must_beat"]))
        if rival_version is not None and rival_version != version.version:
            other = registry.get(version.name, rival_version)
            rival = (other.ref, other.metrics)
    decision = decide_promotion(gate, version.ref, version.metrics, rival)
    registry.record_promotion(Promotion(
        version.name, version.version, alias, decision.promoted, holder, decision.reasons,
        dict(gate), run_id, time.time()))
    version = registry.get(version.name, version.version)  # with its new alias
    return Registration(version, created, decision)

