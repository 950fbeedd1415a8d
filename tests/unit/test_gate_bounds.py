"""Promotion gates at their edges: each bound, the rival's margin, the alias, and the reasons.

The reasons are stored with every decision and shown by ``assay models``, so their text is
part of the behaviour and is compared exactly.
"""

from __future__ import annotations

import pytest

from assay.registry.gate import GateDecision, decide_promotion

RIVAL = "m:v1"


def _decide(gate: dict[str, object], value: float, rival: float | str | None = "absent",
            metric: str = "roc_auc") -> GateDecision:
    """The decision for ``m:v2`` with ``metric`` = ``value``; ``rival`` is the champion's
    value, None for a champion without the metric, or "absent" for no champion yet."""
    against = None if rival == "absent" else (RIVAL, {} if rival is None else {metric: rival})
    return decide_promotion(gate, "m:v2", {metric: value}, against)


@pytest.mark.parametrize(("value", "promoted", "reason"), [
    (0.4, True, "log_loss 0.4 ≤ max 0.5"),
    (0.5, True, "log_loss 0.5 ≤ max 0.5"),  # the bound itself is allowed
    (0.6, False, "log_loss 0.6 > max 0.5"),
])
def test_max_bound_is_inclusive_and_refuses_above(value: float, promoted: bool, reason: str) -> None:
    decision = _decide({"metric": "log_loss", "max": 0.5, "direction": "minimize"}, value,
                       metric="log_loss")
    assert decision.promoted is promoted
    assert decision.reasons == (reason,)


@pytest.mark.parametrize(("value", "promoted", "reason"), [
    (0.9, True, "roc_auc 0.9 ≥ min 0.8"),
    (0.8, True, "roc_auc 0.8 ≥ min 0.8"),  # >=, not >: the minimum itself passes
    (0.79, False, "roc_auc 0.79 < min 0.8"),
])
def test_min_bound_is_inclusive(value: float, promoted: bool, reason: str) -> None:
    decision = _decide({"metric": "roc_auc", "min": 0.8}, value)
    assert decision.promoted is promoted
    assert decision.reasons == (reason,)


def test_min_and_max_together_must_both_hold() -> None:
    gate = {"metric": "roc_auc", "min": 0.5, "max": 0.75}
    inside = _decide(gate, 0.625)
    above = _decide(gate, 0.875)
    assert inside.promoted and inside.reasons == ("roc_auc 0.625 ≥ min 0.5", "roc_auc 0.625 ≤ max 0.75")
    assert not above.promoted
    assert above.reasons == ("roc_auc 0.875 ≥ min 0.5", "roc_auc 0.875 > max 0.75")


# Values that binary floating point holds exactly, so that a gain equal to ``by`` is exact.
@pytest.mark.parametrize(("value", "rival", "promoted", "reason"), [
    (0.875, 0.5, True, "roc_auc 0.875 vs champion m:v1 0.5: +0.375"),
    (0.75, 0.5, True, "roc_auc 0.75 vs champion m:v1 0.5: +0.25"),  # gain == by is enough
    (0.625, 0.5, False, "roc_auc 0.625 vs champion m:v1 0.5: +0.125 (needs 0.25 higher)"),
    (0.25, 0.5, False, "roc_auc 0.25 vs champion m:v1 0.5: -0.25 (needs 0.25 higher)"),
])
def test_margin_over_the_rival_is_at_least_by(value: float, rival: float, promoted: bool,
                                               reason: str) -> None:
    decision = _decide({"metric": "roc_auc", "must_beat": "champion", "by": 0.25}, value, rival)
    assert decision.promoted is promoted
    assert decision.reasons == (reason,)


@pytest.mark.parametrize(("value", "rival", "promoted", "reason"), [
    (0.5625, 0.5, True, "roc_auc 0.5625 vs champion m:v1 0.5: +0.0625"),  # any gain under 1
    (0.5, 0.5, False, "roc_auc 0.5 vs champion m:v1 0.5: +0 (needs to be higher)"),  # a tie is no gain
    (0.25, 0.5, False, "roc_auc 0.25 vs champion m:v1 0.5: -0.25 (needs to be higher)"),
])
def test_without_by_any_strict_gain_is_enough(value: float, rival: float, promoted: bool,
                                              reason: str) -> None:
    decision = _decide({"metric": "roc_auc", "must_beat": "champion"}, value, rival)
    assert decision.promoted is promoted
    assert decision.reasons == (reason,)


@pytest.mark.parametrize(("value", "promoted", "reason"), [
    (0.25, True, "log_loss 0.25 vs champion m:v1 0.5: +0.25"),
    (0.75, False, "log_loss 0.75 vs champion m:v1 0.5: -0.25 (needs 0.125 lower)"),
])
def test_minimising_gate_gains_by_going_lower(value: float, promoted: bool, reason: str) -> None:
    gate = {"metric": "log_loss", "must_beat": "champion", "by": 0.125, "direction": "minimize"}
    decision = _decide(gate, value, 0.5, metric="log_loss")
    assert decision.promoted is promoted
    assert decision.reasons == (reason,)


def test_rival_without_the_metric_cannot_block_the_candidate() -> None:
    decision = _decide({"metric": "roc_auc", "must_beat": "champion", "by": 0.25}, 0.5, None)
    assert decision.promoted
    assert decision.reasons == ("champion (m:v1) has no 'roc_auc' metric to compare with",)


def test_rival_without_the_metric_leaves_the_other_bounds_in_force() -> None:
    decision = _decide({"metric": "roc_auc", "min": 0.75, "must_beat": "champion"}, 0.5, None)
    assert not decision.promoted
    assert decision.reasons == ("roc_auc 0.5 < min 0.75",
                                "champion (m:v1) has no 'roc_auc' metric to compare with")


def test_no_rival_yet_means_nothing_to_beat() -> None:
    decision = _decide({"metric": "roc_auc", "must_beat": "production"}, 0.5)
    assert decision.promoted
    assert decision.reasons == ("no version is production yet, so there is nothing to beat",)


@pytest.mark.parametrize(("gate", "alias"), [
    ({"metric": "roc_auc", "alias": "production"}, "production"),
    ({"metric": "roc_auc", "alias": None}, "champion"),
    ({"metric": "roc_auc"}, "champion"),
])
def test_custom_alias_is_the_one_decided(gate: dict[str, object], alias: str) -> None:
    assert _decide(gate, 0.5).alias == alias
    refused = decide_promotion(gate, "m:v2", {}, None)
    assert refused.alias == alias and not refused.promoted


def test_a_gate_with_no_condition_promotes_and_says_so() -> None:
    decision = _decide({"metric": "roc_auc"}, 0.5)
    assert decision.promoted
    assert decision.reasons == ("roc_auc 0.5: no condition set beyond the metric being recorded",)


@pytest.mark.parametrize(("metrics", "reason"), [
    ({"f1": 0.5, "accuracy": 0.75}, "m:v2 has no 'roc_auc' metric (recorded: accuracy, f1)"),
    ({}, "m:v2 has no 'roc_auc' metric (recorded: none)"),
    ({"roc_auc": "0.9"}, "m:v2 has no 'roc_auc' metric (recorded: roc_auc)"),  # text is no value
])
def test_missing_metric_is_refused_naming_what_was_recorded(metrics: dict[str, object],
                                                             reason: str) -> None:
    decision = decide_promotion({"metric": "roc_auc", "min": 0.0}, "m:v2", metrics, None)
    assert decision.promoted is False
    assert decision.reasons == (reason,)
