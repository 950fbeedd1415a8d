"""Collecting the report's content from the store as plain dataclasses.

Rendering (pages, plots) works from a :class:`SiteData` only, so what the report shows
is testable without MkDocs. A part of the store nothing has written yet (no sweeps, no
drift checks) is listed in ``SiteData.not_recorded`` instead of failing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from assay.engine.leaderboard import Leaderboard, leaderboard
from assay.registry import ModelRegistry, ModelVersion, Promotion
from assay.registry.diff import diff_versions
from assay.store import Store
from assay.store.drift_records import DriftRecords

NOT_RECORDED = "not recorded yet"


@dataclass(frozen=True)
class ModelCard:
    """Everything one model version's page shows."""

    version: ModelVersion
    promotions: tuple[Promotion, ...]
    previous: str | None  # the version before it under the same name
    changes: Mapping[str, Any]  # overrides, data and metrics that differ from ``previous``
    latest_drift: Mapping[str, Any] | None  # the newest check against this version


@dataclass(frozen=True)
class DriftCheck:
    """One stored drift check."""

    check_id: str
    checked: float
    model: str
    current: str
    rows: int
    drift_share: float
    drifted: bool
    result: Mapping[str, Any]


@dataclass(frozen=True)
class RunRecord:
    """One run: its row, how each node ended, and the plan's edges between them."""

    run: Mapping[str, Any]
    tasks: tuple[Mapping[str, Any], ...]
    edges: tuple[tuple[str, str], ...]

    @property
    def run_id(self) -> str:
        """The run's id."""
        return str(self.run["id"])


@dataclass(frozen=True)
class SiteData:
    """The whole report's content."""

    models: tuple[ModelCard, ...]
    runs: tuple[RunRecord, ...]
    sweeps: tuple[Leaderboard, ...]
    drift: tuple[DriftCheck, ...]
    not_recorded: tuple[str, ...] = field(default_factory=tuple)


def collect(store: Store, limit: int = 200) -> SiteData:
    """The report's content from ``store`` (the newest ``limit`` runs, sweeps and checks)."""
    registry = ModelRegistry(store.metadata)
    drift = tuple(_check(row) for row in DriftRecords(store.metadata).checks(limit))
    models = tuple(_cards(registry, drift))
    runs = tuple(RunRecord(row, tuple(store.metadata.tasks(row["id"])),
                           tuple(store.metadata.task_inputs(row["id"])))
                 for row in store.metadata.runs(limit))
    sweeps = tuple(leaderboard(store, row["id"]) for row in store.metadata.sweeps(limit))
    parts = {"models": models, "runs": runs, "sweeps": sweeps, "drift": drift}
    return SiteData(models, runs, sweeps, drift,
                    tuple(name for name, found in parts.items() if not found))


def _cards(registry: ModelRegistry, drift: Sequence[DriftCheck]) -> list[ModelCard]:
    cards = []
    for name in registry.names():
        versions = registry.versions(name)
        for index, version in enumerate(versions):
            before = versions[index - 1] if index else None
            changes = {}
            if before is not None:
                diff = diff_versions(before, version)
                changes = {k: diff[k] for k in ("overrides", "data", "metrics") if diff[k]}
            checks = [c for c in drift if c.model == version.ref]
            cards.append(ModelCard(
                version, tuple(registry.promotions(name, version.version)),
                before.ref if before else None, changes,
                max(checks, key=lambda c: c.checked).result if checks else None))
    return cards


def _check(row: Mapping[str, Any]) -> DriftCheck:
    return DriftCheck(row["id"], row["checked"], row["model"], row["current"], row["rows"],
                      row["drift_share"], bool(row["drifted"]), row["result"])
