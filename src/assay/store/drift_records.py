"""Drift checks and retraining decisions in the workspace's SQLite store."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from assay.store.metadata import MetadataStore


class DriftRecords:
    """Reads and writes the ``drift_checks`` and ``retrain_triggers`` tables."""

    def __init__(self, metadata: MetadataStore) -> None:
        self.metadata = metadata

    def record_check(self, check_id: str, model: str, current: str, rows: int, pieces: int,
                     result: Mapping[str, Any]) -> None:
        """Stores one check's per-column results and verdict."""
        with self.metadata.transaction() as tx:
            tx.execute("INSERT INTO drift_checks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (check_id, time.time(), model, current, rows, pieces,
                        float(result["drift_share"]), int(bool(result["drifted"])),
                        json.dumps(result)))

    def checks(self, limit: int = 50) -> list[dict[str, Any]]:
        """The latest checks, newest first."""
        rows = self.metadata.connection.execute(
            "SELECT * FROM drift_checks ORDER BY checked DESC LIMIT ?", (limit,)).fetchall()
        return [{**dict(r), "result": json.loads(r["result"])} for r in rows]

    def last_fired(self, model_name: str) -> float | None:
        """When a retraining for ``model_name`` last fired."""
        row = self.metadata.connection.execute(
            "SELECT MAX(decided) FROM retrain_triggers WHERE model_name = ? AND fired = 1",
            (model_name,)).fetchone()
        return float(row[0]) if row and row[0] is not None else None

    def record_trigger(self, check_id: str, model_name: str, rule: str, fired: bool,
                       reason: str, inputs: Mapping[str, float], decided: float) -> int:
        """Stores a trigger decision with its inputs; returns its id."""
        with self.metadata.transaction() as tx:
            cursor = tx.execute(
                "INSERT INTO retrain_triggers (check_id, model_name, rule, fired, reason, inputs,"
                " decided) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (check_id, model_name, rule, int(fired), reason,
                 json.dumps({k: (None if v != v else v) for k, v in inputs.items()}), decided))
            return int(cursor.lastrowid or 0)

    def record_outcome(self, trigger_id: int, outcome: str) -> None:
        """What the retraining a trigger started ended with."""
        with self.metadata.transaction() as tx:
            tx.execute("UPDATE retrain_triggers SET outcome = ? WHERE id = ?", (outcome, trigger_id))

    def triggers(self, model_name: str | None = None) -> list[dict[str, Any]]:
        """Every decision (for ``model_name``), oldest first."""
        query, args = "SELECT * FROM retrain_triggers", ()
        if model_name is not None:
            query, args = query + " WHERE model_name = ?", (model_name,)  # type: ignore[assignment]
        rows = self.metadata.connection.execute(query + " ORDER BY id", args).fetchall()
        return [{**dict(r), "inputs": json.loads(r["inputs"])} for r in rows]
