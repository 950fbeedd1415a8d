"""The retraining rule and its cooldown."""

from __future__ import annotations

import math

import pytest

from assay.errors import ConfigError
from assay.monitor.trigger import decide, parse_duration

FIGURES = {"drift_share": 0.6, "drifted_columns": 3.0, "roc_auc_drop": math.nan}


@pytest.mark.parametrize(("rule", "fires"), [
    ("drift_share >= 0.5", True),
    ("drift_share >= 0.7", False),
    ("drift_share >= 0.5 and drifted_columns > 3", False),
    ("drift_share >= 0.7 or drifted_columns >= 3", True),
    ("not drift_share < 0.5", True),
    ("0.5 <= drift_share < 0.6", False),
    ("roc_auc_drop >= 0.02", False),  # not measured: never holds
    ("roc_auc_drop >= 0.02 or drift_share * 2 > 1", True),
    ("drifted_columns / 0 > 1", False),  # a division by zero is NaN, like a missing figure
    ("not drifted_columns / (drift_share - 0.6) > 1", True),
])
def test_the_rule_fires_exactly_when_it_holds(rule: str, fires: bool) -> None:
    assert decide(rule, FIGURES, None, 3600, now=1000.0).fired is fires


def test_no_second_firing_within_the_cooldown() -> None:
    first = decide("drift_share >= 0.5", FIGURES, None, 3600, now=10_000.0)
    within = decide("drift_share >= 0.5", FIGURES, 10_000.0, 3600, now=13_599.0)
    after = decide("drift_share >= 0.5", FIGURES, 10_000.0, 3600, now=13_600.0)
    assert (first.fired, within.fired, after.fired) == (True, False, True)
    assert "cooldown" in within.reason and within.inputs == FIGURES


@pytest.mark.parametrize("rule", ["__import__('os').system('x')", "drift_share.real > 0",
                                  "drift_shar > 0.5", "drift_share >=", 'drift_share >= "a"',
                                  "drift_share >= True", "drift_share >= None"])
def test_rules_that_could_run_code_or_name_nothing_are_refused(rule: str) -> None:
    with pytest.raises(ConfigError):
        decide(rule, FIGURES, None, 0, now=0.0)


def test_a_rule_that_holds_does_not_fire_when_retraining_cannot_run() -> None:
    unable = "the current data has no 'target' column"
    held = decide("drift_share >= 0.5", FIGURES, None, 0, now=0.0, unable=unable)
    assert not held.fired and unable in held.reason
    calm = decide("drift_share >= 0.7", FIGURES, None, 0, now=0.0, unable=unable)
    assert calm.reason == "the rule does not hold"


def test_figures_not_measured_are_null_in_json() -> None:
    decision = decide("drift_share >= 0.5", FIGURES, None, 0, now=0.0)
    assert decision.to_json()["inputs"] == {"drift_share": 0.6, "drifted_columns": 3.0,
                                            "roc_auc_drop": None}


def test_durations() -> None:
    assert [parse_duration(t) for t in ("90", "90s", "15m", "6h", "1d", "2w", "0.5h")] == [
        90, 90, 900, 21600, 86400, 1209600, 1800]
    with pytest.raises(ConfigError):
        parse_duration("soon")
