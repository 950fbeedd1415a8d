"""Fingerprints: equal fingerprint ⇒ same result.

A node's fingerprint hashes its step name, the step's code version, its canonical
parameters, the fingerprints of the outputs it reads, the content of the data files
it names and the code version of project-local ``_target_`` classes. Values are
normalised first (sorted keys, lists for tuples), and a value that cannot be hashed
deterministically is refused rather than hashed by identity.

An int and a float stay apart here (``1`` is not ``1.0``): whether they are the same
value depends on what the parameter is declared as, which the compiler knows and this
module does not (see :func:`assay.compiler.params.canonical_params`).
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any


def normalise(value: Any) -> Any:
    """The canonical JSON-ready form of ``value``.

    Plain JSON types take a fast path (a plan normalises hundreds of thousands of
    values); anything else goes through :func:`normalise_other`, which libraries
    extend with ``normalise_other.register``.

    Raises:
        TypeError: for values without a deterministic form (objects, sets of objects).
    """
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is dict:
        return _mapping(value)
    if kind is list or kind is tuple:
        return [normalise(item) for item in value]
    return normalise_other(value)


@functools.singledispatch
def normalise_other(value: Any) -> Any:
    """Normalises the types outside the fast path; extend with ``register``."""
    for loader in _LAZY_TYPES:
        if loader(value):
            return normalise(value)
    raise TypeError(
        f"cannot fingerprint a value of type {type(value).__qualname__}; "
        "parameters must be plain data (numbers, strings, booleans, lists, mappings)"
    )


@normalise_other.register(bool)
@normalise_other.register(int)
@normalise_other.register(str)
def _plain(value: Any) -> Any:
    """A subclass of a plain type (an IntEnum, a StrEnum) as that plain type's value.

    JSON would write an IntEnum as its number anyway, but a str subclass may define its
    own ``__str__``; ``str.__str__`` and ``int.__int__`` give the plain value itself.
    """
    return str.__str__(value) if isinstance(value, str) else int.__int__(value)


@normalise_other.register
def _float(value: float) -> Any:
    if math.isnan(value) or math.isinf(value):
        return {"__float__": repr(value)}  # JSON has no NaN/inf
    return value


@normalise_other.register(list)
@normalise_other.register(tuple)
def _sequence(value: Any) -> list[Any]:
    return [normalise(item) for item in value]


@normalise_other.register(Mapping)
def _mapping(value: Mapping[Any, Any]) -> dict[str, Any]:
    try:
        keys = sorted(value)
    except TypeError:
        keys = []
    if len(keys) != len(value) or any(type(key) is not str for key in keys):
        raise TypeError("cannot fingerprint a mapping with non-string keys")
    return {key: normalise(value[key]) for key in keys}


@normalise_other.register(set)
@normalise_other.register(frozenset)
def _set(value: Any) -> list[Any]:
    items = [normalise(item) for item in value]
    return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))


def _register_numpy(value: Any) -> bool:
    """Registers numpy scalars the first time one is seen, so numpy is never imported here."""
    module = type(value).__module__
    if module != "numpy":
        return False
    import numpy as np

    normalise_other.register(np.generic, lambda v: normalise(v.item()))
    return True


_LAZY_TYPES = [_register_numpy]


def canonical_json(value: Any) -> str:
    """``value`` normalised and serialised with sorted keys and no whitespace."""
    return json.dumps(normalise(value), sort_keys=True, separators=(",", ":"), allow_nan=False)


def fingerprint_of(components: Mapping[str, Any], normalised: bool = False) -> str:
    """The sha256 hex digest of the canonical form of ``components``.

    Pass ``normalised=True`` when ``components`` already went through :func:`normalise`.
    """
    text = (
        json.dumps(components, sort_keys=True, separators=(",", ":"), allow_nan=False)
        if normalised
        else canonical_json(components)
    )
    return hashlib.sha256(text.encode()).hexdigest()
