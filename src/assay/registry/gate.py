"""Promotion gates: whether a new version may take an alias, and why (or why not).

The gate is declared in config (``registry.promote``). Every condition it sets must
hold: the metric was recorded; it is at least ``min`` / at most ``max``; and it beats
the version ``must_beat`` names by at least ``by`` in the gate's ``direction``. The
reasons are written whatever the decision, so a refusal can be read back later.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from assay.config.schema import PromotionGate


@dataclass(frozen=True)
class GateDecision:
    """The outcome of a gate for one version."""

    promoted: bool
    alias: str
    reasons: tuple[str, ...]


def decide_promotion(
    gate: Mapping[str, Any],
    candidate: str,
    metrics: Mapping[str, Any],
    rival: tuple[str, Mapping[str, Any]] | None,
) -> GateDecision:
    """Applies ``gate`` to ``candidate`` (a ``NAME:vN``) with its ``metrics``.

    Args:
        gate: ``metric``, and optionally ``min``, ``max``, ``must_beat``, ``by``,
            ``direction`` and ``alias``.
        candidate: The version under decision, for the reasons.
        metrics: Its recorded evaluation metrics.
        rival: The version ``must_beat`` currently names and its metrics; None when the
            gate sets no ``must_beat`` or the alias names no version yet.
    """
    metric = str(gate["metric"])
    alias = str(gate.get("alias") or PromotionGate.alias)
    maximize = gate.get("direction", "maximize") != "minimize"
    value = metrics.get(metric)
    if not isinstance(value, int | float):
        recorded = ", ".join(sorted(metrics)) or "none"
        return GateDecision(False, alias, (
            f"{candidate} has no '{metric}' metric (recorded: {recorded})",))
    passed: list[bool] = []
    reasons: list[str] = []

    def check(ok: bool, text: str) -> None:
        passed.append(ok)
        reasons.append(text)

    if gate.get("min") is not None:
        low = float(gate["min"])
        check(value >= low, f"{metric} {value:.6g} {'≥' if value >= low else '<'} min {low:g}")
    if gate.get("max") is not None:
        high = float(gate["max"])
        check(value <= high, f"{metric} {value:.6g} {'≤' if value <= high else '>'} max {high:g}")
    if gate.get("must_beat"):
        _against_rival(gate, metric, float(value), maximize, rival, check)
    if not passed:
        reasons.append(f"{metric} {value:.6g}: no condition set beyond the metric being recorded")
    return GateDecision(all(passed), alias, tuple(reasons))


def _against_rival(gate: Mapping[str, Any], metric: str, value: float, maximize: bool,
                   rival: tuple[str, Mapping[str, Any]] | None,
                   check: Any) -> None:
    beat = str(gate["must_beat"])
    if rival is None:
        check(True, f"no version is {beat} yet, so there is nothing to beat")
        return
    ref, rival_metrics = rival
    theirs = rival_metrics.get(metric)
    if not isinstance(theirs, int | float):
        check(True, f"{beat} ({ref}) has no '{metric}' metric to compare with")
        return
    by = float(gate.get("by") or 0.0)
    gain = value - theirs if maximize else theirs - value
    better = "higher" if maximize else "lower"
    ok = gain > 0 and gain >= by
    needed = f" (needs {by:g} {better})" if by else f" (needs to be {better})"
    check(ok, f"{metric} {value:.6g} vs {beat} {ref} {theirs:.6g}: "
              f"{'+' if gain >= 0 else '-'}{abs(gain):.6g}{'' if ok else needed}")
