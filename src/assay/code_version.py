"""Code versions: a fingerprint of what a function or class does.

The hash covers the abstract syntax tree, so comments, docstrings and formatting do
not count, and it follows the functions, classes and assignments of the same module
that the code refers to, so editing a private helper (or a module constant) changes
the version of its callers.

One function computes it from a module's source text: the compiler reads a module it
has not imported with :mod:`ast`, and an imported object is hashed from its module's
source the same way, so a class gets the same version whether or not its module
happens to be imported in the compiling process.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib.util
import inspect
import textwrap
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def hash_source(func: Callable[..., Any] | type) -> str:
    """Fingerprint of a function's or class's code, plus the same-module helpers it uses.

    Equal to :func:`hash_definition` of its module's source for a top-level definition;
    code that is not defined at the top of a readable module is hashed from its own
    source and its helpers' (or, without source, its qualified name).
    """
    module = inspect.getmodule(func)
    name = getattr(func, "__name__", None)
    if module is not None and name and getattr(func, "__qualname__", None) == name:
        source = _module_source(module)
        version = hash_definition(source, name) if source else None
        if version is not None:
            return version
    return _hash_without_module_source(func, module)


def _hash_without_module_source(func: Any, module: types.ModuleType | None) -> str:
    """Code whose module cannot be read as a whole (a notebook cell, a nested function):
    its own source and that of the same-module functions and classes its code names."""
    digest = hashlib.sha256()
    seen: set[int] = set()
    pending = [func]
    while pending:
        obj = pending.pop(0)
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        try:
            digest.update(normalised_source(inspect.getsource(obj)).encode())
        except (OSError, TypeError):
            digest.update(str(getattr(obj, "__qualname__", repr(obj))).encode())
            continue
        pending.extend(_named_helpers(obj, module))
    return digest.hexdigest()


def _named_helpers(obj: Any, module: types.ModuleType | None) -> list[Any]:
    if module is None:
        return []
    if inspect.isfunction(obj):
        codes = [obj.__code__]
    elif inspect.isclass(obj):
        codes = [member.__code__ for member in vars(obj).values() if inspect.isfunction(member)]
    else:
        codes = []
    names: set[str] = set()
    while codes:
        code = codes.pop()
        names.update(code.co_names)
        codes.extend(const for const in code.co_consts if isinstance(const, types.CodeType))
    found = [getattr(module, name, None) for name in sorted(names)]
    return [value for value in found
            if (inspect.isfunction(value) or inspect.isclass(value))
            and getattr(value, "__module__", None) == module.__name__]


def read_source(file: Path) -> str | None:
    """A module file's text, decoded as the interpreter decodes it; None when unreadable."""
    try:
        return importlib.util.decode_source(file.read_bytes())
    except (OSError, SyntaxError, UnicodeDecodeError):
        return None


def _module_source(module: types.ModuleType) -> str | None:
    """The module's source as it is on disk now (what the compiler reads, too)."""
    file = getattr(module, "__file__", None)
    if file and file.endswith(".py"):
        return read_source(Path(file))
    try:
        return inspect.getsource(module)
    except (OSError, TypeError):
        return None


def hash_definition(source: str, name: str) -> str | None:
    """Fingerprint of the top-level definition ``name`` in a module's ``source``.

    Covers the definition's syntax tree without docstrings, and every top-level
    function, class or assignment of the module that it refers to by name, followed
    transitively. None when the source does not parse or does not define ``name``.
    """
    index = _module_index(source)
    if index is None or name not in index:
        return None
    seen: set[str] = set()
    pending = [name]
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        pending.extend(index[current].uses - seen)
    digest = hashlib.sha256()
    for part in [name, *sorted(seen - {name})]:
        digest.update(f"{part}\0{index[part].text}\0".encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class _Definition:
    text: str
    uses: frozenset[str]


@functools.lru_cache(maxsize=128)
def _module_index(source: str) -> dict[str, _Definition] | None:
    """Each top-level name of the module: its normalised syntax and the module names it uses."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    nodes: dict[str, list[ast.stmt]] = {}
    for node in _top_level(tree.body):
        for bound in _bound_names(node):
            nodes.setdefault(bound, []).append(node)
    index = {}
    for bound, defining in nodes.items():
        used = {n.id for node in defining for n in ast.walk(node) if isinstance(n, ast.Name)}
        text = "\n".join(_dump(node) for node in defining)
        index[bound] = _Definition(text, frozenset(used & nodes.keys() - {bound}))
    return index


def _top_level(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Top-level statements, including those inside module-level if/try blocks."""
    for node in body:
        if isinstance(node, ast.If):
            yield from _top_level(node.body + node.orelse)
        elif isinstance(node, ast.Try):
            yield from _top_level(node.body + node.orelse + node.finalbody)
            for handler in node.handlers:
                yield from _top_level(handler.body)
        else:
            yield node


def _bound_names(node: ast.stmt) -> list[str]:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return [node.name]
    if isinstance(node, ast.Assign):
        return [t.id for t in node.targets if isinstance(t, ast.Name)]
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return [node.target.id]
    return []


def _dump(node: ast.AST) -> str:
    _strip_docstrings(node)
    return ast.dump(node, annotate_fields=False, include_attributes=False)


def _strip_docstrings(tree: ast.AST) -> None:
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


def normalised_source(source: str) -> str:
    """The source's syntax tree as text, without docstrings, comments or layout."""
    try:
        tree = ast.parse(textwrap.dedent(source))
    except SyntaxError:
        return source
    return _dump(tree)


def hash_text(source: str) -> str:
    """Fingerprint of source text on its own (no helpers), normalised as above."""
    return hashlib.sha256(normalised_source(source).encode()).hexdigest()
