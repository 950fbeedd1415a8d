"""Drift checks and retraining decisions in the workspace's SQLite store."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from assay.monitor.trigger import TriggerDecision
from assay.store.metadata import MetadataStore


@dataclass(frozen=True)
class PendingTrigger:
    """A retraining decision a check is to make, from when the model's retraining last fired."""

    model_name: str
    decided: float  # seconds since the epoch
    decide: Callable[[float | None], TriggerDecision]  # the last firing -> the decision


class DriftRecords:
    """Reads and writes the ``drift_checks`` and ``retrain_triggers`` tables."""

    def __init__(self, metadata: MetadataStore) -> None:
        self.metadata = metadata

    def record_check(self, check_id: str, model: str, current: str, rows: int, pieces: int,
                     result: Mapping[str, Any], trigger: PendingTrigger | None = None,
                     ) -> tuple[TriggerDecision, int] | None:
        """Stores one check's per-column results and verdict and, with ``trigger``, the
        retraining decision made on it: the decision and its id.

        One transaction, which holds the write lock from the start: the last firing is
        read and the decision stored with no other check in between, so two checks at
        once cannot both fire within a cooldown. The stored result has the decision.
        """
        with self.metadata.transaction() as tx:
            decision = None
            if trigger is not None:
                decision = trigger.decide(_last_fired(tx, trigger.model_name))
                result = {**result, "trigger": decision.to_json()}
            tx.execute("INSERT INTO drift_checks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (check_id, time.time(), model, current, rows, pieces,
                        float(result["drift_share"]), int(bool(result["drifted"])),
                        json.dumps(result)))
            if trigger is None or decision is None:
                return None
            cursor = tx.execute(
                "INSERT INTO retrain_triggers (check_id, model_name, rule, fired, reason, inputs,"
                " decided) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (check_id, trigger.model_name, decision.rule, int(decision.fired),
                 decision.reason, json.dumps(decision.to_json()["inputs"]), trigger.decided))
            return decision, int(cursor.lastrowid or 0)

    def checks(self, limit: int = 50) -> list[dict[str, Any]]:
        """The latest checks, newest first."""
        rows = self.metadata.connection.execute(
            "SELECT * FROM drift_checks ORDER BY checked DESC LIMIT ?", (limit,)).fetchall()
        return [{**dict(r), "result": json.loads(r["result"])} for r in rows]

    def record_outcome(self, trigger_id: int, outcome: str) -> None:
        """What the retraining a trigger started ended with."""
        with self.metadata.transaction() as tx:
            tx.execute("UPDATE retrain_triggers SET outcome = ? WHERE id = ?", (outcome, trigger_id))


def _last_fired(connection: sqlite3.Connection, model_name: str) -> float | None:
    """When a retraining for ``model_name`` last fired."""
    row = connection.execute(
        "SELECT MAX(decided) FROM retrain_triggers WHERE model_name = ? AND fired = 1",
        (model_name,)).fetchone()
    return float(row[0]) if row and row[0] is not None else None
