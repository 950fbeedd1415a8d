"""Checking resolved parameter values against a step's type annotations.

Supports the annotations steps use: builtins, ``X | None``, ``Literal``, lists and
dicts of those, ``Annotated[..., Interval(...)]`` and assay's ``Target`` and
``FilePath``. Anything else is accepted rather than guessed at.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from assay.catalog import FilePath, Interval, Target


def check_value(value: Any, annotation: Any) -> bool:
    """Whether ``value`` is valid for ``annotation``."""
    if annotation is Any or annotation is object:
        return True
    if annotation is None or annotation is type(None):
        return value is None
    if annotation is Target:
        return isinstance(value, Mapping) and isinstance(value.get("_target_"), str)
    if annotation is FilePath:
        return isinstance(value, str) and bool(value)
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return check_value(value, args[0]) and all(
            meta.contains(value) for meta in args[1:] if isinstance(meta, Interval)
        )
    if origin in (typing.Union, types.UnionType):
        return any(check_value(value, arg) for arg in args)
    if origin is Literal:
        return any(value == arg and type(value) is type(arg) for arg in args)
    if origin in (list, Sequence, tuple):
        if not isinstance(value, list | tuple):
            return False
        item_type = args[0] if args else Any
        return all(check_value(item, item_type) for item in value)
    if origin in (dict, Mapping):
        if not isinstance(value, Mapping):
            return False
        value_type = args[1] if len(args) == 2 else Any
        return all(isinstance(k, str) and check_value(v, value_type) for k, v in value.items())
    return _check_plain(value, annotation)


def _check_plain(value: Any, annotation: Any) -> bool:
    if annotation is bool:
        return isinstance(value, bool)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if annotation is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if annotation in (str, list, dict):
        return isinstance(value, annotation)
    if isinstance(annotation, type):
        return isinstance(value, annotation)
    return True


def describe(annotation: Any) -> str:
    """What an annotation accepts, in words: "a float in (0, 1)", "one of 'a', 'b'"."""
    if annotation is None or annotation is type(None):
        return "null"
    if annotation is Target:
        return "a config with a '_target_' import path"
    if annotation is FilePath:
        return "a file path"
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        limits = " ".join(str(m) for m in args[1:] if isinstance(m, Interval))
        return f"{describe(args[0])} {limits}".strip()
    if origin in (typing.Union, types.UnionType):
        return " or ".join(describe(arg) for arg in args)
    if origin is Literal:
        return "one of " + ", ".join(repr(arg) for arg in args)
    if origin in (list, Sequence, tuple):
        return f"a list of {describe(args[0])}" if args else "a list"
    if origin in (dict, Mapping):
        return "a mapping"
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}
    if annotation in names:
        return names[annotation]
    return getattr(annotation, "__name__", str(annotation))


def show(value: Any) -> str:
    """A value as shown in messages, with its type."""
    text = repr(value)
    if len(text) > 80:
        text = text[:77] + "..."
    return f"{text} ({type(value).__name__})"
