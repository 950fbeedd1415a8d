"""The retraining trigger: a rule over a check's figures, and a cooldown between firings.

The rule is a small expression, ``drift_share >= 0.5 or roc_auc_drop >= 0.02``: names,
numbers, comparisons, ``and``/``or``/``not``, arithmetic and parentheses. It is parsed
with :mod:`ast` and evaluated node by node; nothing else (calls, attributes, strings)
is allowed, so a config cannot run code. A figure that was not measured (a metric drop
without labels in the current data) is NaN, as is a division by zero, and a comparison
with NaN is false.
"""

from __future__ import annotations

import ast
import math
import operator
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from assay.errors import ConfigError, Problem

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_COMPARE = {ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt,
            ast.GtE: operator.ge, ast.Eq: operator.eq, ast.NotEq: operator.ne}
_ARITHMETIC = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
               ast.Div: operator.truediv}


@dataclass(frozen=True)
class TriggerDecision:
    """Whether the rule fired, why, and with which figures."""

    rule: str
    fired: bool
    reason: str
    inputs: Mapping[str, float]

    def to_json(self) -> dict[str, Any]:
        """Plain data (a figure not measured is null: JSON has no NaN)."""
        return {"rule": self.rule, "fired": self.fired, "reason": self.reason,
                "inputs": {name: finite_or_none(v) for name, v in self.inputs.items()}}


def finite_or_none(value: float) -> float | None:
    """``value``, or None for NaN (and infinities, which JSON has neither)."""
    return None if isinstance(value, float) and not math.isfinite(value) else value


def is_nan(value: Any) -> bool:
    """Whether ``value`` is a float NaN (a figure not measured)."""
    return isinstance(value, float) and math.isnan(value)


def parse_duration(text: str, key: str = "monitor.retrain.cooldown") -> float:
    """``90s``, ``15m``, ``6h``, ``1d``, ``2w`` or plain seconds, in seconds."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*", str(text))
    if match is None:
        raise ConfigError(Problem(f"'{text}' is not a duration", key=key,
                                  expected="a number with s, m, h, d or w, e.g. 12h or 1d"))
    return float(match[1]) * _UNITS.get(match[2] or "s", 1)


def check_rule(rule: str, names: set[str], key: str = "monitor.retrain.when") -> ast.Expression:
    """Parses ``rule`` and checks it uses only allowed syntax and known names."""
    try:
        tree = ast.parse(rule, mode="eval")
    except SyntaxError as error:
        raise ConfigError(Problem(f"cannot parse the rule '{rule}': {error.msg}", key=key,
                                  expected="e.g. drift_share >= 0.5 or roc_auc_drop >= 0.02")) from None
    allowed = (ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub,
               ast.Compare, ast.Name, ast.Load, ast.Constant, ast.BinOp, *_COMPARE, *_ARITHMETIC)
    for node in ast.walk(tree):
        if not isinstance(node, allowed):
            raise ConfigError(Problem(f"'{rule}' uses {type(node).__name__}, which a rule cannot",
                                      key=key, expected="names, numbers, comparisons, and/or/not"))
        if isinstance(node, ast.Constant) and not _is_number(node.value):
            raise ConfigError(Problem(f"the rule compares with {node.value!r}, which is not a "
                                      "number", key=key, expected="numbers, e.g. 0.5 or 3"))
        if isinstance(node, ast.Name) and node.id not in names:
            from assay.errors import did_you_mean

            raise ConfigError(Problem(f"the rule names '{node.id}', which a check does not measure",
                                      key=key, expected="one of: " + ", ".join(sorted(names)),
                                      hint=did_you_mean(node.id, names)))
    return tree


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def decide(rule: str, inputs: Mapping[str, float], last_fired: float | None, cooldown_s: float,
           now: float, unable: str | None = None) -> TriggerDecision:
    """Fires when ``rule`` holds and the last firing is at least ``cooldown_s`` ago.

    ``unable`` says why a retraining could not run (the current data cannot train a
    model): the rule then does not fire, so the cooldown does not start.
    """
    tree = check_rule(rule, set(inputs))
    holds = bool(_evaluate(tree.body, inputs))
    if not holds:
        return TriggerDecision(rule, False, "the rule does not hold", dict(inputs))
    if unable is not None:
        return TriggerDecision(rule, False, f"the rule holds, but {unable}", dict(inputs))
    if last_fired is not None and now - last_fired < cooldown_s:
        wait = cooldown_s - (now - last_fired)
        return TriggerDecision(rule, False, f"the rule holds, but the last retraining was "
                               f"{now - last_fired:.0f} s ago (cooldown: {wait:.0f} s left)",
                               dict(inputs))
    return TriggerDecision(rule, True, "the rule holds", dict(inputs))


def _evaluate(node: ast.AST, inputs: Mapping[str, float]) -> Any:
    if isinstance(node, ast.BoolOp):
        values = [_evaluate(v, inputs) for v in node.values]
        return all(values) if isinstance(node.op, ast.And) else any(values)
    if isinstance(node, ast.UnaryOp):
        value = _evaluate(node.operand, inputs)
        return (not value) if isinstance(node.op, ast.Not) else -value
    if isinstance(node, ast.Compare):
        left = _evaluate(node.left, inputs)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = _evaluate(right_node, inputs)
            if is_nan(left) or is_nan(right) or not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True
    if isinstance(node, ast.BinOp):
        try:
            return _ARITHMETIC[type(node.op)](_evaluate(node.left, inputs),
                                              _evaluate(node.right, inputs))
        except ZeroDivisionError:  # e.g. drifted_columns / columns_tested with none tested
            return math.nan
    if isinstance(node, ast.Name):
        return inputs[node.id]
    if isinstance(node, ast.Constant):
        return node.value
    raise ValueError(f"unexpected {type(node).__name__}")  # check_rule refused it already
