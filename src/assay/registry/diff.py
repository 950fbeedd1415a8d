"""What differs between two model versions: overrides, config, data, metrics and code."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from assay.registry.versions import ModelVersion

MISSING = "(not set)"
_HEX = frozenset("0123456789abcdef")


def short_fingerprint(value: Any) -> str:
    """``value`` as text, cut to 12 characters when it is a 64-digit hex digest."""
    text = str(value)
    return text[:12] if len(text) == 64 and set(text) <= _HEX else text


def diff_versions(a: ModelVersion, b: ModelVersion) -> dict[str, Any]:
    """Every difference, section by section; an empty section means no difference."""
    return {
        "a": a.ref,
        "b": b.ref,
        "overrides": _changed(_overrides(a.overrides), _overrides(b.overrides)),
        "config": _changed(_flat(yaml.safe_load(a.config) or {}),
                           _flat(yaml.safe_load(b.config) or {})),
        "data": _data(a, b),
        "metrics": _metrics(a.metrics, b.metrics),
        "code": _changed({"commit": a.code.get("commit"), "dirty": a.code.get("dirty"),
                          "estimator": a.estimator, **_prefixed("package", a.packages)},
                         {"commit": b.code.get("commit"), "dirty": b.code.get("dirty"),
                          "estimator": b.estimator, **_prefixed("package", b.packages)}),
        "steps": _changed(dict(a.fingerprints), dict(b.fingerprints)),
    }


def _overrides(overrides: list[str]) -> dict[str, str]:
    """``key=value`` overrides by key (``+``/``++``/``~`` prefixes kept in the key)."""
    parsed = {}
    for override in overrides:
        key, sep, value = override.partition("=")
        parsed[key] = value if sep else ""
    return parsed


def _flat(data: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(data, Mapping) and data:
        flat: dict[str, Any] = {}
        for key, value in data.items():
            flat.update(_flat(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    return {prefix: data}


def _prefixed(prefix: str, values: Mapping[str, Any]) -> dict[str, Any]:
    return {f"{prefix}.{k}": v for k, v in values.items()}


def _changed(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, list[Any]]:
    """``key: [a's value, b's value]`` for every key whose values differ, sorted by key."""
    return {key: [a.get(key, MISSING), b.get(key, MISSING)]
            for key in sorted(set(a) | set(b)) if a.get(key, MISSING) != b.get(key, MISSING)}


def _data(a: ModelVersion, b: ModelVersion) -> dict[str, Any]:
    ours = {d.role: d for d in a.datasets}
    theirs = {d.role: d for d in b.datasets}
    changes: dict[str, Any] = {}
    for role in sorted(set(ours) | set(theirs)):
        left, right = ours.get(role), theirs.get(role)
        if left is None or right is None:
            changes[role] = {"present": [left is not None, right is not None]}
            continue
        fields: dict[str, Any] = _changed(
            {"fingerprint": left.fingerprint, "source": left.source, "rows": left.rows},
            {"fingerprint": right.fingerprint, "source": right.source, "rows": right.rows})
        columns = _changed(dict(left.columns), dict(right.columns))
        if columns:
            fields["columns"] = columns
        if fields:
            changes[role] = fields
    return changes


def _metrics(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for name, (left, right) in _changed(a, b).items():
        entry: dict[str, Any] = {"a": left, "b": right}
        if isinstance(left, int | float) and isinstance(right, int | float):
            entry["change"] = right - left
        changes[name] = entry
    return changes
