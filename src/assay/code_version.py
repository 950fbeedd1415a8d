"""Code versions: a fingerprint of what a function or class does.

The hash covers the abstract syntax tree, so comments, docstrings and formatting do
not count, and it follows the functions and classes of the same module that the
code refers to, so editing a private helper changes the version of its callers.
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import textwrap
import types
from collections.abc import Callable, Iterator
from typing import Any


def hash_source(func: Callable[..., Any] | type) -> str:
    """Fingerprint of a function's code: its AST without docstrings, plus same-module helpers."""
    digest = hashlib.sha256()
    for source in _sources_with_helpers(func):
        digest.update(normalised_source(source).encode())
    return digest.hexdigest()


def _sources_with_helpers(func: Callable[..., Any]) -> list[str]:
    module = inspect.getmodule(func)
    seen: set[int] = set()
    sources: list[str] = []
    pending: list[Any] = [func]
    while pending:
        obj = pending.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        try:
            sources.append(inspect.getsource(obj))
        except (OSError, TypeError):
            sources.append(getattr(obj, "__qualname__", repr(obj)))
            continue
        pending.extend(_same_module_references(obj, module))
    return sources


def _same_module_references(obj: Any, module: types.ModuleType | None) -> list[Any]:
    if module is None:
        return []
    names: set[str] = set()
    for code in _code_objects(obj):
        names.update(code.co_names)
    found = []
    for name in sorted(names):
        value = getattr(module, name, None)
        if (inspect.isfunction(value) or inspect.isclass(value)) and (
            getattr(value, "__module__", None) == module.__name__
        ):
            found.append(value)
    return found


def _code_objects(obj: Any) -> Iterator[types.CodeType]:
    roots: list[types.CodeType] = []
    if inspect.isfunction(obj):
        roots.append(obj.__code__)
    elif inspect.isclass(obj):
        roots.extend(
            member.__code__ for member in vars(obj).values() if inspect.isfunction(member)
        )
    while roots:
        code = roots.pop()
        yield code
        roots.extend(const for const in code.co_consts if isinstance(const, types.CodeType))


def normalised_source(source: str) -> str:
    """The source's syntax tree as text, without docstrings, comments or layout."""
    try:
        tree = ast.parse(textwrap.dedent(source))
    except SyntaxError:
        return source
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            node.body = body[1:] or [ast.Pass()]  # type: ignore[attr-defined]
    return ast.dump(tree, annotate_fields=False, include_attributes=False)



def hash_text(source: str) -> str:
    """Fingerprint of source text, normalised like :func:`hash_source`."""
    return hashlib.sha256(normalised_source(source).encode()).hexdigest()
