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
from assay.store import Store
from assay.store.drift_records import DriftRecords

NOT_RECORDED = "not recorded yet"


@dataclass(frozen=True)
class ModelCard:
    """Everything one model version's page shows.

    What changed since ``before`` is not computed here: only a card written for the first
    time shows it (:func:`assay.report.card.changes`), and every build collects every card.
    """

    version: ModelVersion
    promotions: tuple[Promotion, ...]
    before: ModelVersion | None  # the version before it under the same name
    latest_drift: Mapping[str, Any] | None  # the newest check against this version

    @property
    def previous(self) -> str | None:
        """The reference of the version before it, if any."""
        return self.before.ref if self.before is not None else None


@dataclass(frozen=True)
class DriftCheck:
    """One stored drift check."""

    check_id: str
    checked: float
    model: str  # what was checked against: a version's ref or a data file
    model_name: str | None  # the registered model ``model`` is a version of; None for a file
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
    versions: dict[str, list[ModelVersion]] = {}
    for version in registry.versions():  # by name, then number
        versions.setdefault(version.name, []).append(version)
    names = {v.ref: name for name, found in versions.items() for v in found}
    drift = tuple(_check(row, names) for row in DriftRecords(store.metadata).checks(limit))
    models = tuple(_cards(registry, versions, drift))
    runs = tuple(RunRecord(row, tuple(store.metadata.tasks(row["id"])),
                           tuple(store.metadata.task_inputs(row["id"])))
                 for row in store.metadata.runs(limit))
    sweeps = tuple(leaderboard(store, row["id"]) for row in store.metadata.sweeps(limit))
    parts = {"models": models, "runs": runs, "sweeps": sweeps, "drift": drift}
    return SiteData(models, runs, sweeps, drift,
                    tuple(name for name, found in parts.items() if not found))


def _cards(registry: ModelRegistry, versions: Mapping[str, Sequence[ModelVersion]],
           drift: Sequence[DriftCheck]) -> list[ModelCard]:
    cards = []
    for name, found in versions.items():
        for index, version in enumerate(found):
            checks = [c for c in drift if c.model == version.ref]
            cards.append(ModelCard(
                version, tuple(registry.promotions(name, version.version)),
                found[index - 1] if index else None,
                max(checks, key=lambda c: c.checked).result if checks else None))
    return cards


def _check(row: Mapping[str, Any], names: Mapping[str, str]) -> DriftCheck:
    return DriftCheck(row["id"], row["checked"], row["model"], names.get(row["model"]),
                      row["current"], row["rows"], row["drift_share"], bool(row["drifted"]),
                      row["result"])
