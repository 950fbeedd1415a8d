"""Checking a whole store: artifacts, registered models and runs, each problem with its path.

Every artifact entry is checksummed against its manifest; every registered version's
model artifact must be present, sound and have the sha256 the registry recorded; no
run may stay ``running`` once its process is gone. With ``repair``, a damaged entry is
moved to ``artifacts/.corrupt`` (a later run recomputes it; a registered model is
rebuilt with ``assay models restore``) and a run an older assay left running is marked
``interrupted``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from assay.registry import ModelRegistry, ModelVersion
from assay.store import Store
from assay.store.metadata import INTERRUPTED

MODEL_OUTPUT = "model"


@dataclass(frozen=True)
class Finding:
    """One problem found in the store.

    Attributes:
        kind: ``artifact``, ``model`` or ``run``.
        subject: The fingerprint, model reference or run id concerned.
        path: Where it is on disk (an entry's directory, a file, the database).
        problem: What is wrong.
        hint: The command that fixes it, when there is one.
        repaired: What ``--repair`` did about it ("" when nothing).
    """

    kind: str
    subject: str
    path: str
    problem: str
    hint: str = ""
    repaired: str = ""

    def describe(self) -> str:
        """Lines for people."""
        lines = [f"{self.kind} {self.subject}: {self.problem}", f"  path: {self.path}"]
        if self.repaired:
            lines.append(f"  repaired: {self.repaired}")
        if self.hint:
            lines.append(f"  fix: {self.hint}")
        return "\n".join(lines)


@dataclass
class Verification:
    """What a check of the store found."""

    store: str
    findings: list[Finding] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether nothing was wrong."""
        return not self.findings

    def to_json(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        return {"store": self.store, "ok": self.ok, "checked": self.checked,
                "problems": [asdict(f) for f in self.findings]}


def verify_store(store: Store, repair: bool = False) -> Verification:
    """Checks every artifact, registered model and run of ``store``.

    Args:
        store: The store to check (opening it already marked the runs whose process is
            gone as interrupted).
        repair: Move damaged entries aside and mark uncheckable running runs interrupted.
    """
    result = Verification(str(store.root))
    result.findings.extend(_artifacts(store, repair, result.checked))
    result.findings.extend(_models(store, result.checked))
    result.findings.extend(_runs(store, repair, result.checked))
    return result


def _artifacts(store: Store, repair: bool, checked: dict[str, int]) -> list[Finding]:
    findings = []
    fingerprints = list(store.artifacts.fingerprints())
    for fingerprint in fingerprints:
        problem = store.artifacts.problem(fingerprint, checksums=True)
        if problem is None:
            continue
        repaired = ""
        if repair:
            store.artifacts.quarantine(fingerprint, problem)
            repaired = "moved to artifacts/.corrupt; the next run that needs it recomputes it"
        findings.append(Finding(
            "artifact", fingerprint[:12], str(store.artifacts.entry_dir(fingerprint)), problem,
            "" if repair else "assay verify --repair (moves it aside; it is then recomputed)",
            repaired))
    checked["artifacts"] = len(fingerprints)
    return findings


def _models(store: Store, checked: dict[str, int]) -> list[Finding]:
    findings = []
    versions = ModelRegistry(store.metadata).versions()
    for version in versions:
        problem, path = model_problem(store, version)
        if problem is not None:
            findings.append(Finding("model", version.ref, path, problem,
                                    f"assay models restore {version.ref}"))
    checked["model versions"] = len(versions)
    return findings


def model_problem(store: Store, version: ModelVersion) -> tuple[str | None, str]:
    """What is wrong with a version's model artifact (None when sound) and its path.

    Sound means: the entry is complete, its bytes match its manifest, and the model's
    sha256 is the one the registry recorded when the version was registered.
    """
    fingerprint = version.model_fingerprint
    directory = store.artifacts.entry_dir(fingerprint)
    if not store.artifacts.exists(fingerprint):
        return f"its model artifact {fingerprint[:12]} is missing", str(directory)
    problem = store.artifacts.problem(fingerprint, [MODEL_OUTPUT], checksums=True)
    if problem is not None:
        return f"its model artifact {fingerprint[:12]} is damaged: {problem}", str(directory)
    manifest = store.artifacts.manifest(fingerprint)
    assert manifest is not None  # problem() found it complete
    record = manifest.outputs[MODEL_OUTPUT]
    if record.sha256 != version.model_sha256:
        return (f"its model artifact has sha256 {record.sha256[:12]}, the registry recorded "
                f"{version.model_sha256[:12]}", str(directory / record.file))
    return None, str(directory / record.file)


def _runs(store: Store, repair: bool, checked: dict[str, int]) -> list[Finding]:
    findings = []
    for run in store.metadata.running_runs():
        if run.get("pid") is not None:
            continue  # its process is alive (or on another host): it is really running
        repaired = ""
        if repair:
            store.metadata.interrupt_runs([str(run["id"])])
            repaired = f"marked {INTERRUPTED}"
        findings.append(Finding(
            "run", str(run["id"]), str(store.metadata.path),
            "recorded as running by an older assay that kept no process id, so whether it "
            "still runs cannot be checked",
            "" if repair else "assay verify --repair (marks it interrupted)", repaired))
    checked["runs"] = store.metadata.run_count()
    return findings
