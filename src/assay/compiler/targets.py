"""Checking ``_target_`` paths without importing what they name.

A config such as ``model: {_target_: sklearn.linear_model.LogisticRegression, C: 1}``
must be checked at compile time (does the path exist, does it take ``C``), but the
compiler must not import scikit-learn: that alone costs more than a cached run.
So a target whose module is not imported yet is found on disk and read with
:mod:`ast`: the module file is located through the import system's finders (which
execute nothing), re-exports (``from ._logistic import LogisticRegression``) are
followed, and the parameters are read from ``__init__`` or the function signature.
A module that is already imported is inspected directly, which is exact.

Where static reading cannot decide (a compiled module, a module-level
``__getattr__``, an ``__init__`` inherited from another module), the target is
accepted as unknown rather than rejected: a wrong rejection would block a valid run.
An ``__init__`` inherited from a class of the same module is read from that class.
"""

from __future__ import annotations

import ast
import functools
import importlib.machinery
import inspect
import pkgutil
import sys
import typing
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from assay.catalog import FilePath
from assay.code_version import hash_definition, hash_source, read_source
from assay.compiler.numbers import live_float_params, static_float_params

HYDRA_KEYS = frozenset({"_target_", "_recursive_", "_convert_", "_partial_", "_args_"})
_MAX_REEXPORT_DEPTH = 6


class TargetNotFoundError(LookupError):
    """The path does not name an importable class or function."""

    def __init__(self, message: str, suggestions: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.suggestions = tuple(suggestions)


@dataclass(frozen=True)
class TargetInfo:
    """What is known about a ``_target_`` without calling it.

    Attributes:
        path: The dotted path.
        params: Parameter names it accepts, or None when they cannot be known.
        required: Parameters without a default.
        accepts_any: Whether it takes ``**kwargs``.
        file_params: Parameters annotated as :data:`assay.catalog.FilePath`.
        code_version: Hash of its source when it is project or assay code, so that
            editing it invalidates results; None for installed third-party code.
        float_params: Parameters declared as floats (see :mod:`assay.compiler.numbers`):
            an int given for one is the same value as the float.
    """

    path: str
    params: tuple[str, ...] | None = None
    required: tuple[str, ...] = ()
    accepts_any: bool = False
    file_params: tuple[str, ...] = ()
    code_version: str | None = None
    float_params: tuple[str, ...] = ()

    def accepts(self, name: str) -> bool:
        """Whether ``name`` is a parameter it takes (True when unknown)."""
        return self.params is None or self.accepts_any or name in self.params


@functools.lru_cache(maxsize=512)
def inspect_target(path: str) -> TargetInfo:
    """Describes the class or function at ``path``.

    Raises:
        TargetNotFoundError: when the path does not resolve, with close names.
    """
    parts = path.split(".")
    if len(parts) < 2 or not all(p.isidentifier() for p in parts):
        raise TargetNotFoundError(f"'{path}' is not a dotted import path like 'package.Name'")
    for split in range(len(parts) - 1, 0, -1):
        module_name, attrs = ".".join(parts[:split]), parts[split:]
        if module_name in sys.modules:
            return _inspect_live(path, sys.modules[module_name], attrs)
        spec = _find_spec(module_name)
        if spec is not None:
            return _inspect_static(path, module_name, spec, attrs)
    raise TargetNotFoundError(f"no module named '{parts[0]}'", suggest_modules(parts[0]))


# ------------------------------------------------------------------ live objects


def _inspect_live(path: str, module: Any, attrs: list[str]) -> TargetInfo:
    obj = module
    for index, attr in enumerate(attrs):
        owner = ".".join([module.__name__, *attrs[:index]])
        if not hasattr(obj, attr):
            if index < len(attrs) - 1 and inspect.ismodule(obj):
                missing = f"{owner}.{attr}"
                raise TargetNotFoundError(f"no module named '{missing}'", suggest_modules(missing))
            names = [n for n in dir(obj) if not n.startswith("_")]
            kind = "module" if inspect.ismodule(obj) else "object"
            raise TargetNotFoundError(f"{kind} '{owner}' has no attribute '{attr}'", names)
        obj = getattr(obj, attr)
    if inspect.ismodule(obj):
        raise TargetNotFoundError(f"'{path}' is a module, not a class or function")
    if not callable(obj):
        raise TargetNotFoundError(f"'{path}' is not a class or function")
    return _describe_callable(path, obj)


def _describe_callable(path: str, obj: Any) -> TargetInfo:
    try:
        signature = inspect.signature(obj)
    except (TypeError, ValueError):
        return TargetInfo(path)
    params, required, accepts_any = _from_parameters(signature.parameters.values())
    hints = _type_hints(obj)
    file_params = tuple(name for name in params if hints.get(name) is FilePath)
    floats = live_float_params(obj, signature.parameters.values(), hints)
    return TargetInfo(path, params, required, accepts_any, file_params, _local_code_version(obj),
                      floats)


def _from_parameters(
    parameters: Any,
) -> tuple[tuple[str, ...], tuple[str, ...], bool]:
    names, required, accepts_any = [], [], False
    for parameter in parameters:
        if parameter.kind is parameter.VAR_KEYWORD:
            accepts_any = True
        elif parameter.kind is not parameter.VAR_POSITIONAL:
            names.append(parameter.name)
            if parameter.default is parameter.empty:
                required.append(parameter.name)
    return tuple(names), tuple(required), accepts_any


def _type_hints(obj: Any) -> dict[str, Any]:
    try:
        return typing.get_type_hints(obj.__init__ if inspect.isclass(obj) else obj)
    except Exception:  # unresolvable annotations only mean no FilePath detection
        return {}


def _local_code_version(obj: Any) -> str | None:
    """Source hash of project or assay code; None for installed libraries."""
    module = sys.modules.get(getattr(obj, "__module__", "") or "")
    file = getattr(module, "__file__", None) or ""
    if not module or not _is_local(module.__name__, file):
        return None
    try:
        return hash_source(obj)
    except (OSError, TypeError):
        return None


def _is_local(module_name: str, file: str) -> bool:
    if module_name.split(".")[0] == "assay":
        return True
    return bool(file) and "site-packages" not in file and "dist-packages" not in file


# ------------------------------------------------------------------ static reading


def _find_spec(module_name: str) -> importlib.machinery.ModuleSpec | None:
    """Locates a module through the finders alone: parents are not imported."""
    search_path: list[str] | None = None
    spec = None
    parts = module_name.split(".")
    for index in range(len(parts)):
        name = ".".join(parts[: index + 1])
        if name in sys.modules:
            module = sys.modules[name]
            spec = getattr(module, "__spec__", None)
            search_path = list(getattr(module, "__path__", []) or []) or None
        else:
            spec = _ask_finders(name, search_path)
            if spec is None:
                return None
            locations = spec.submodule_search_locations
            search_path = list(locations) if locations is not None else None
        if index < len(parts) - 1 and search_path is None:
            return None  # a plain module cannot have submodules
    return spec


def _ask_finders(name: str, path: list[str] | None) -> importlib.machinery.ModuleSpec | None:
    for finder in sys.meta_path:
        find_spec = getattr(finder, "find_spec", None)
        if find_spec is None:
            continue
        try:
            spec = find_spec(name, path)
        except Exception:  # a third-party finder failing is not our error
            continue
        if spec is not None:
            return typing.cast(importlib.machinery.ModuleSpec, spec)
    return None


def _inspect_static(
    path: str, module_name: str, spec: importlib.machinery.ModuleSpec, attrs: list[str]
) -> TargetInfo:
    source_file = spec.origin if spec.origin and spec.origin.endswith(".py") else None
    if source_file is None:
        return TargetInfo(path)  # compiled or namespace module: cannot read, accept
    return _lookup(path, module_name, Path(source_file), attrs, 0)


@functools.lru_cache(maxsize=256)
def _parse(file: Path) -> ast.Module:
    return ast.parse(file.read_text(encoding="utf-8"), filename=str(file))


def _lookup(path: str, module_name: str, file: Path, attrs: list[str], depth: int) -> TargetInfo:
    try:
        tree = _parse(file)
    except (OSError, SyntaxError, UnicodeDecodeError):
        return TargetInfo(path)
    name = attrs[0]
    names_defined: list[str] = []
    dynamic = False
    for node in _top_level(tree.body):
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            names_defined.append(node.name)
            if node.name == "__getattr__":
                dynamic = True
            if node.name == name:
                if len(attrs) > 1:
                    return TargetInfo(path)  # a nested attribute: accept
                return _describe_node(path, module_name, file, node)
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.name == "*":
                    dynamic = True
                    continue
                bound = alias.asname or alias.name
                names_defined.append(bound)
                if bound == name and depth < _MAX_REEXPORT_DEPTH:
                    return _follow_import(path, module_name, file, node, alias.name, attrs, depth)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                names_defined.append((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    names_defined.append(target.id)
                    if target.id == name:
                        return TargetInfo(path)  # an alias assigned at import: accept
    if name in names_defined or depth >= _MAX_REEXPORT_DEPTH:
        return TargetInfo(path)
    if len(attrs) > 1:
        # ``name`` would have to be a submodule, and the finders found none.
        missing = f"{module_name}.{name}"
        raise TargetNotFoundError(f"no module named '{missing}'", suggest_modules(missing))
    submodule = _find_spec(f"{module_name}.{name}") if _is_package(file) else None
    if submodule is not None:
        raise TargetNotFoundError(f"'{module_name}.{name}' is a module, not a class or function")
    if dynamic:
        return TargetInfo(path)  # resolved at import time by __getattr__ or *: accept
    public = [n for n in names_defined if not n.startswith("_")]
    raise TargetNotFoundError(f"module '{module_name}' has no attribute '{name}'", public)


def _top_level(body: list[ast.stmt]) -> list[ast.stmt]:
    """Top-level statements, including those inside module-level if/try blocks."""
    found: list[ast.stmt] = []
    for node in body:
        if isinstance(node, ast.If):
            found.extend(_top_level(node.body + node.orelse))
        elif isinstance(node, ast.Try):
            found.extend(_top_level(node.body + node.orelse + node.finalbody))
            for handler in node.handlers:
                found.extend(_top_level(handler.body))
        else:
            found.append(node)
    return found


def _is_package(file: Path) -> bool:
    return file.name == "__init__.py"


def _follow_import(
    path: str,
    module_name: str,
    file: Path,
    node: ast.ImportFrom,
    imported: str,
    attrs: list[str],
    depth: int,
) -> TargetInfo:
    source_module = _absolute_module(module_name, _is_package(file), node.module, node.level)
    if source_module in sys.modules:
        return _inspect_live(path, sys.modules[source_module], [imported, *attrs[1:]])
    spec = _find_spec(source_module) if source_module else None
    if spec is None or not (spec.origin and spec.origin.endswith(".py")):
        return TargetInfo(path)
    return _lookup(path, source_module, Path(spec.origin), [imported, *attrs[1:]], depth + 1)


def _absolute_module(current: str, is_package: bool, module: str | None, level: int) -> str:
    if level == 0:
        return module or ""
    package_parts = current.split(".") if is_package else current.split(".")[:-1]
    base = package_parts[: len(package_parts) - (level - 1)]
    return ".".join([*base, module] if module else base)


def _describe_node(path: str, module_name: str, file: Path, node: ast.stmt,
                   subclasses: tuple[str, ...] = ()) -> TargetInfo:
    info = _describe_definition(path, module_name, file, node, subclasses)
    if subclasses or info.params is None:
        return info

    def class_named(name: str) -> ast.ClassDef | None:
        return next((n for n in _top_level(_parse(file).body)
                     if isinstance(n, ast.ClassDef) and n.name == name), None)

    floats = static_float_params(node, class_named)
    return replace(info, float_params=tuple(n for n in floats if n in info.params))


def _describe_definition(path: str, module_name: str, file: Path, node: ast.stmt,
                         subclasses: tuple[str, ...]) -> TargetInfo:
    code_version = _static_code_version(module_name, file, node) if not subclasses else None
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return _from_arguments(path, node.args, skip_self=False, code_version=code_version)
    assert isinstance(node, ast.ClassDef)
    for item in node.body:
        if isinstance(item, ast.FunctionDef) and item.name == "__init__":
            return _from_arguments(path, item.args, skip_self=True, code_version=code_version)
    if any(_is_dataclass_decorator(d) for d in node.decorator_list):
        return _from_dataclass_body(path, node, code_version)
    base = _same_module_base(file, node)
    if base is None or base.name in subclasses:
        return TargetInfo(path, code_version=code_version)  # inherited __init__: unknown
    inherited = _describe_node(path, module_name, file, base, (*subclasses, node.name))
    # The base is a same-module name the class uses, so its version covers the base.
    return replace(inherited, code_version=code_version)


def _static_code_version(module_name: str, file: Path, node: ast.stmt) -> str | None:
    """The code version of a definition read from disk: the same function as for an
    imported object (:func:`assay.code_version.hash_source`), so both agree."""
    if not _is_local(module_name, str(file)):
        return None
    source = read_source(file)
    assert isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
    return hash_definition(source, node.name) if source is not None else None


def _same_module_base(file: Path, node: ast.ClassDef) -> ast.ClassDef | None:
    """The class's first base when the same module defines it: first in its MRO, so its
    ``__init__`` (own or inherited the same way) is the one the class has."""
    first = node.bases[0] if node.bases else None
    if not isinstance(first, ast.Name):
        return None
    return next((n for n in _top_level(_parse(file).body)
                 if isinstance(n, ast.ClassDef) and n.name == first.id), None)


def _from_arguments(
    path: str, args: ast.arguments, skip_self: bool, code_version: str | None
) -> TargetInfo:
    positional = [*args.posonlyargs, *args.args]
    if skip_self and positional:
        positional = positional[1:]
    defaults_start = len(positional) - len(args.defaults)
    names = [a.arg for a in positional] + [a.arg for a in args.kwonlyargs]
    required = [a.arg for i, a in enumerate(positional) if i < defaults_start]
    required += [a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is None]
    file_params = tuple(
        a.arg for a in [*positional, *args.kwonlyargs] if _names_file_path(a.annotation)
    )
    return TargetInfo(
        path, tuple(names), tuple(required), args.kwarg is not None, file_params, code_version
    )


def _from_dataclass_body(path: str, node: ast.ClassDef, code_version: str | None) -> TargetInfo:
    names, required, file_params = [], [], []
    for item in node.body:
        if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
            if "ClassVar" in ast.unparse(item.annotation):
                continue
            names.append(item.target.id)
            if item.value is None:
                required.append(item.target.id)
            if _names_file_path(item.annotation):
                file_params.append(item.target.id)
    return TargetInfo(path, tuple(names), tuple(required), False, tuple(file_params), code_version)


def _is_dataclass_decorator(node: ast.expr) -> bool:
    target = node.func if isinstance(node, ast.Call) else node
    return ast.unparse(target).split(".")[-1] == "dataclass"


def _names_file_path(annotation: ast.expr | None) -> bool:
    return annotation is not None and "FilePath" in ast.unparse(annotation)


def _module_names(path: list[str] | None) -> list[str]:
    try:
        return [m.name for m in pkgutil.iter_modules(path)]
    except Exception:  # listing is only for suggestions
        return []


def suggest_modules(module_name: str) -> list[str]:
    """Names of sibling modules, for "did you mean" on a mistyped module path."""
    parent, _, _ = module_name.rpartition(".")
    if not parent:
        return _module_names(None)
    spec = _find_spec(parent)
    locations = spec.submodule_search_locations if spec else None
    return [f"{parent}.{n}" for n in _module_names(list(locations))] if locations else []
