"""Model versions, aliases, tags and promotion decisions, in the workspace's SQLite store.

A version is written once and never changed. Numbers are given inside one
``BEGIN IMMEDIATE`` transaction, so two runs registering under one name at the same
time get distinct numbers; a version is keyed by the fingerprint of the step that
registered it, so re-running an unchanged plan finds the version it already made.
Aliases (``champion``, any name) move; ``latest`` is always the newest version.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from assay.config.schema import LATEST, MODEL_NAME_PATTERN, MODEL_NAME_RULE
from assay.config.secrets import REDACTED, is_secret_key, redact_overrides, redact_yaml
from assay.errors import Problem, UserError, did_you_mean
from assay.registry.refs import Reference, parse_reference
from assay.store.metadata import MetadataStore

_JSON_COLUMNS = ("overrides", "fingerprints", "metrics", "code", "packages", "training")
_Key = tuple[str, int]  # a version's (name, number)


@dataclass(frozen=True)
class DatasetUse:
    """A dataset a version was trained or evaluated on."""

    role: str  # source, train or test
    node: str
    fingerprint: str
    source: str | None
    rows: int | None
    columns: Mapping[str, str]


@dataclass(frozen=True)
class NewVersion:
    """Everything recorded about a model version when it is registered."""

    name: str
    run_id: str
    pipeline: str
    register_fingerprint: str
    model_fingerprint: str
    model_sha256: str
    estimator: str | None
    task: str | None
    config: str
    overrides: list[str]
    fingerprints: Mapping[str, str]
    metrics: Mapping[str, Any]
    code: Mapping[str, Any]
    packages: Mapping[str, str | None]
    datasets: tuple[DatasetUse, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)
    training: Mapping[str, Any] | None = None  # a torch model's per-epoch curve


@dataclass(frozen=True)
class ModelVersion(NewVersion):
    """A registered version: what was recorded, its number, and its current aliases."""

    version: int = 0
    created: float = 0.0
    aliases: tuple[str, ...] = ()

    @property
    def ref(self) -> str:
        """``NAME:vN``."""
        return f"{self.name}:v{self.version}"

    def to_json(self) -> dict[str, Any]:
        """Plain data for ``--json`` output."""
        return {
            "ref": self.ref, "name": self.name, "version": self.version,
            "created": self.created, "aliases": list(self.aliases), "tags": dict(self.tags),
            "run_id": self.run_id, "pipeline": self.pipeline, "estimator": self.estimator,
            "task": self.task, "metrics": dict(self.metrics),
            "model": {"fingerprint": self.model_fingerprint, "sha256": self.model_sha256},
            "register_fingerprint": self.register_fingerprint,
            "datasets": [{"role": d.role, "node": d.node, "fingerprint": d.fingerprint,
                          "source": d.source, "rows": d.rows, "columns": dict(d.columns)}
                         for d in self.datasets],
            "fingerprints": dict(self.fingerprints), "overrides": list(self.overrides),
            "code": dict(self.code), "packages": dict(self.packages), "config": self.config,
            "training": self.training,
        }


@dataclass(frozen=True)
class Promotion:
    """One decision of a promotion gate (or a manual promotion)."""

    name: str
    version: int
    alias: str
    promoted: bool
    previous: int | None
    reasons: tuple[str, ...]
    gate: Mapping[str, Any]
    run_id: str | None
    decided: float


class RegistryError(UserError):
    """A reference that names no version, or a change the registry refuses (exit 2)."""

    def __init__(self, message: str, hint: str | None = None, key: str | None = None,
                 expected: str | None = None) -> None:
        super().__init__(Problem(message, key=key, expected=expected, hint=hint))


def check_alias(alias: str, key: str = "alias") -> None:
    """Refuses an alias that cannot be set: ``latest``, or not a valid name.

    Args:
        alias: The alias to point at a version.
        key: What the error names as the bad input (an argument or a config key).

    Raises:
        RegistryError: when ``alias`` cannot be set.
    """
    if alias == LATEST or not MODEL_NAME_PATTERN.match(alias):
        raise RegistryError(
            f"'{alias}' cannot be an alias", key=key,
            expected=f"a name other than '{LATEST}' ({MODEL_NAME_RULE})",
            hint=f"'{LATEST}' always points at the newest version" if alias == LATEST else None)


class ModelRegistry:
    """Reads and writes the registry tables of one workspace's metadata store."""

    def __init__(self, metadata: MetadataStore) -> None:
        self.metadata = metadata

    # ------------------------------------------------------------------ versions

    def register(self, new: NewVersion) -> tuple[ModelVersion, bool]:
        """Records ``new`` as the next version of its name; returns it and whether it is new.

        A version registered by the same step fingerprint is returned unchanged instead.
        """
        with self.metadata.transaction() as tx:
            row = tx.execute(
                "SELECT version FROM model_versions WHERE name = ? AND register_fingerprint = ?",
                (new.name, new.register_fingerprint)).fetchone()
            if row is not None:
                existing = int(row[0])
                created = False
            else:
                existing = int(tx.execute(
                    "SELECT COALESCE(MAX(version), 0) + 1 FROM model_versions WHERE name = ?",
                    (new.name,)).fetchone()[0])
                created = True
                self._insert(tx, new, existing)
        return self.get(new.name, existing), created

    @staticmethod
    def _insert(tx: Any, new: NewVersion, version: int) -> None:
        tx.execute(
            "INSERT INTO model_versions (name, version, created, run_id, pipeline,"
            " register_fingerprint, model_fingerprint, model_sha256, estimator, task, config,"
            " overrides, fingerprints, metrics, code, packages, training)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (new.name, version, time.time(), new.run_id, new.pipeline, new.register_fingerprint,
             new.model_fingerprint, new.model_sha256, new.estimator, new.task,
             redact_yaml(new.config), json.dumps(redact_overrides(new.overrides)),
             json.dumps(dict(new.fingerprints), sort_keys=True),
             json.dumps(dict(new.metrics)), json.dumps(dict(new.code)),
             json.dumps(dict(new.packages)), json.dumps(new.training)))
        tx.executemany(
            "INSERT INTO model_datasets VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(new.name, version, d.role, d.node, d.fingerprint, d.source, d.rows,
              json.dumps(dict(d.columns))) for d in new.datasets])
        tx.executemany("INSERT INTO model_tags VALUES (?, ?, ?, ?)",
                       [(new.name, version, k, REDACTED if is_secret_key(k) else str(v))
                        for k, v in new.tags.items()])

    def find(self, name: str, register_fingerprint: str) -> ModelVersion | None:
        """The version the register step with this fingerprint made, if any."""
        found = self._versions("WHERE v.name = ? AND v.register_fingerprint = ?",
                               (name, register_fingerprint))
        return found[0] if found else None

    def get(self, name: str, version: int) -> ModelVersion:
        """One version by name and number."""
        found = self._versions("WHERE v.name = ? AND v.version = ?", (name, version))
        if not found:
            raise RegistryError(f"there is no version {name}:v{version}",
                                hint=self._versions_hint(name))
        return found[0]

    def versions(self, name: str | None = None) -> list[ModelVersion]:
        """Every version (of ``name``), by name then number."""
        if name is None:
            return self._versions("", ())
        return self._versions("WHERE v.name = ?", (name,))

    def registered_by(self, run_id: str) -> list[ModelVersion]:
        """The versions the run ``run_id`` registered, by name then number."""
        return self._versions("WHERE v.run_id = ?", (run_id,))

    def names(self) -> list[str]:
        """Every registered model name."""
        rows = self.metadata.connection.execute(
            "SELECT DISTINCT name FROM model_versions ORDER BY name").fetchall()
        return [str(r[0]) for r in rows]

    def resolve(self, reference: str | Reference) -> ModelVersion:
        """The version a reference names: ``NAME``, ``NAME:vN`` or ``NAME@ALIAS``."""
        ref = parse_reference(reference) if isinstance(reference, str) else reference
        if ref.name not in self.names():
            raise RegistryError(f"no model is registered as '{ref.name}'",
                                hint=did_you_mean(ref.name, self.names()) or self._names_hint())
        if ref.version is not None:
            return self.get(ref.name, ref.version)
        alias = ref.alias or LATEST
        version = self.alias_version(ref.name, alias)
        if version is None:
            aliases = sorted(self.aliases(ref.name))
            raise RegistryError(f"{ref.name} has no alias '{alias}'",
                                hint="its aliases: " + ", ".join(aliases))
        return self.get(ref.name, version)

    def _versions(self, where: str, args: tuple[Any, ...]) -> list[ModelVersion]:
        """The versions ``where`` selects (its columns prefixed ``v.``), fully filled in.

        Datasets, tags and aliases are read in one query each for all selected versions
        (the same ``where`` joined on ``model_versions v``), not once per version.
        """
        rows = self.metadata.connection.execute(
            f"SELECT * FROM model_versions v {where} ORDER BY v.name, v.version", args).fetchall()
        if not rows:
            return []
        datasets = self._datasets(where, args)
        tags = self._tags(where, args)
        aliases = self._aliases_of(where, args)
        versions = []
        for row in rows:
            data = dict(row)
            for column in _JSON_COLUMNS:
                data[column] = json.loads(data[column]) if data[column] is not None else None
            # versions recorded before credentials were redacted on the way in
            data["config"] = redact_yaml(data["config"])
            data["overrides"] = redact_overrides(data["overrides"])
            key = (data["name"], data["version"])
            versions.append(ModelVersion(datasets=tuple(datasets.get(key, ())),
                                         tags=tags.get(key, {}),
                                         aliases=tuple(sorted(aliases.get(key, ()))), **data))
        return versions

    def _datasets(self, where: str, args: tuple[Any, ...]) -> dict[_Key, list[DatasetUse]]:
        grouped: dict[_Key, list[DatasetUse]] = {}
        for d in self.metadata.connection.execute(
                "SELECT d.* FROM model_datasets d JOIN model_versions v"
                f" ON v.name = d.name AND v.version = d.version {where} ORDER BY d.rowid",
                args).fetchall():
            grouped.setdefault((d["name"], d["version"]), []).append(DatasetUse(
                d["role"], d["node"], d["fingerprint"], d["source"], d["rows"],
                json.loads(d["columns"] or "{}")))
        return grouped

    def _tags(self, where: str, args: tuple[Any, ...]) -> dict[_Key, dict[str, str]]:
        grouped: dict[_Key, dict[str, str]] = {}
        for t in self.metadata.connection.execute(
                "SELECT t.name, t.version, t.key, t.value FROM model_tags t JOIN model_versions v"
                f" ON v.name = t.name AND v.version = t.version {where} ORDER BY t.key",
                args).fetchall():
            grouped.setdefault((t["name"], t["version"]), {})[str(t["key"])] = str(t["value"])
        return grouped

    def _aliases_of(self, where: str, args: tuple[Any, ...]) -> dict[_Key, list[str]]:
        """Alias names by version: the set ones, and ``latest`` on each name's newest."""
        rows = self.metadata.connection.execute(
            "SELECT a.name, a.version, a.alias FROM model_aliases a JOIN model_versions v"
            f" ON v.name = a.name AND v.version = a.version {where}"
            " UNION ALL"
            " SELECT m.name, MAX(m.version), ? FROM model_versions m"
            f" WHERE m.name IN (SELECT v.name FROM model_versions v {where}) GROUP BY m.name",
            (*args, LATEST, *args)).fetchall()
        grouped: dict[_Key, list[str]] = {}
        for name, version, alias in rows:
            grouped.setdefault((name, version), []).append(str(alias))
        return grouped

    def _versions_hint(self, name: str) -> str | None:
        newest = self.metadata.connection.execute(
            "SELECT MAX(version) FROM model_versions WHERE name = ?", (name,)).fetchone()[0]
        if newest is None:
            return self._names_hint()
        return f"{name} has only v1" if newest == 1 else f"{name} has v1 to v{newest}"

    def _names_hint(self) -> str:
        names = self.names()
        return ("registered models: " + ", ".join(names)) if names else (
            "nothing is registered yet: `assay run` registers the model it trains")

    # ------------------------------------------------------------------ aliases and tags

    def aliases(self, name: str) -> dict[str, int]:
        """Alias → version for ``name``, ``latest`` included."""
        connection = self.metadata.connection
        rows = connection.execute(
            "SELECT alias, version FROM model_aliases WHERE name = ?", (name,)).fetchall()
        aliases = {str(a): int(v) for a, v in rows}
        newest = connection.execute(
            "SELECT MAX(version) FROM model_versions WHERE name = ?", (name,)).fetchone()[0]
        if newest is not None:
            aliases[LATEST] = int(newest)
        return aliases

    def alias_version(self, name: str, alias: str) -> int | None:
        """The version ``NAME@alias`` points at, if any."""
        return self.aliases(name).get(alias)

    def set_alias(self, name: str, alias: str, version: int) -> int | None:
        """Points ``alias`` at ``version``; returns the version it pointed at before.

        Raises:
            RegistryError: for an alias that cannot be set (see :func:`check_alias`).
        """
        check_alias(alias)
        with self.metadata.transaction() as tx:
            row = tx.execute("SELECT version FROM model_aliases WHERE name = ? AND alias = ?",
                             (name, alias)).fetchone()
            tx.execute("INSERT OR REPLACE INTO model_aliases VALUES (?, ?, ?, ?)",
                       (name, alias, version, time.time()))
        return int(row[0]) if row else None

    def set_tags(self, name: str, version: int, tags: Mapping[str, str]) -> None:
        """Adds or replaces tags of one version (tags are not part of what a version is)."""
        with self.metadata.transaction() as tx:
            tx.executemany("INSERT OR REPLACE INTO model_tags VALUES (?, ?, ?, ?)",
                           [(name, version, k, REDACTED if is_secret_key(k) else str(v))
                            for k, v in tags.items()])

    # ------------------------------------------------------------------ promotions

    def record_promotion(self, promotion: Promotion) -> None:
        """Records a gate's decision (and moves the alias when it promoted).

        Raises:
            RegistryError: for an alias that cannot be set (see :func:`check_alias`).
        """
        check_alias(promotion.alias)
        with self.metadata.transaction() as tx:
            if promotion.promoted:
                tx.execute("INSERT OR REPLACE INTO model_aliases VALUES (?, ?, ?, ?)",
                           (promotion.name, promotion.alias, promotion.version,
                            promotion.decided))
            tx.execute(
                "INSERT INTO promotions (name, version, alias, promoted, previous, reasons, gate,"
                " run_id, decided) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (promotion.name, promotion.version, promotion.alias, int(promotion.promoted),
                 promotion.previous, json.dumps(list(promotion.reasons)),
                 json.dumps(dict(promotion.gate)), promotion.run_id, promotion.decided))

    def promotions(self, name: str, version: int | None = None) -> list[Promotion]:
        """Decisions about ``name`` (one version of it), oldest first."""
        query = "SELECT * FROM promotions WHERE name = ?"
        args: tuple[Any, ...] = (name,)
        if version is not None:
            query, args = query + " AND version = ?", (name, version)
        rows = self.metadata.connection.execute(query + " ORDER BY id", args).fetchall()
        return [Promotion(r["name"], r["version"], r["alias"], bool(r["promoted"]), r["previous"],
                          tuple(json.loads(r["reasons"])), json.loads(r["gate"]), r["run_id"],
                          r["decided"]) for r in rows]

    # ------------------------------------------------------------------ datasets

    def dataset_uses(self) -> list[dict[str, Any]]:
        """Every (dataset fingerprint, role) with the versions that used it, newest first."""
        rows = self.metadata.connection.execute(
            "SELECT d.*, v.created FROM model_datasets d JOIN model_versions v"
            " ON v.name = d.name AND v.version = d.version ORDER BY v.created DESC").fetchall()
        grouped: dict[tuple[str, str], dict[str, Any]] = {}
        for row in rows:
            key = (row["fingerprint"], row["role"])
            entry = grouped.setdefault(key, {
                "fingerprint": row["fingerprint"], "role": row["role"], "node": row["node"],
                "source": row["source"], "rows": row["rows"],
                "columns": json.loads(row["columns"] or "{}"), "first_used": row["created"],
                "models": []})
            entry["first_used"] = min(entry["first_used"], row["created"])
            entry["models"].append(f"{row['name']}:v{row['version']}")
        return list(grouped.values())
