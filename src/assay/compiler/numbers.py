"""Which parameters are floats, so that ``C=1`` and ``C: 1.0`` are one configuration.

A command-line override ``model.C=1`` gives an int where the default config has the
float ``1.0``; hashed as written they would be two fingerprints, and an unchanged model
would be trained and registered again. An int is read as a float only where the
parameter is declared a float, because elsewhere the two can mean different things:
scikit-learn's ``max_features=1`` is one feature and ``max_features=1.0`` all of them.

A parameter is a float when its annotation says ``float`` (``float | None`` too, but
not ``int | float``); without an annotation, when its documentation (numpydoc or
Google style) or scikit-learn's ``_parameter_constraints`` say so, or, when neither
says anything, when its default is a float. A documented ``int`` or a constraint that
tells integers apart (``Integral``, ``RealNotInt``) always keeps an int an int.

The same reading serves a target read from source with :mod:`ast` and an imported one.
"""

from __future__ import annotations

import ast
import inspect
import re
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from typing import Any

_NOT_ONLY_FLOAT = frozenset({"int", "Any", "object", "Number", "Real", "Integral", "complex",
                             "SupportsFloat", "SupportsInt", "Decimal", "Fraction"})
_INTEGER_CONSTRAINTS = frozenset({"Integral", "RealNotInt", "int"})
_NO_DEFAULT = object()


def as_declared_float(value: Any) -> Any:
    """``value`` as a float when it is an int a float represents exactly; else unchanged."""
    if type(value) is int and abs(value) <= 2**53:
        return float(value)
    return value


def annotation_is_float(annotation: Any) -> bool | None:
    """Whether an annotation (a type, a typing form or its text) declares a float.

    None when there is no annotation.
    """
    if annotation is None or annotation is inspect.Parameter.empty:
        return None
    return _only_float(_live_members(annotation))


def annotation_text_is_float(text: str) -> bool:
    """:func:`annotation_is_float` for the source text of an annotation."""
    return _only_float(_members_of_text(text))


def _live_members(annotation: Any) -> list[str]:
    """The names of the types a runtime annotation allows (its union members)."""
    if isinstance(annotation, str):
        return _members_of_text(annotation)
    forward = getattr(annotation, "__forward_arg__", None)  # a quoted name in a typing form
    if isinstance(forward, str):
        return _members_of_text(forward)
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        return _live_members(args[0])
    if origin in (typing.Union, types.UnionType):
        return [name for arg in args for name in _live_members(arg)]
    if annotation is type(None):
        return ["None"]
    return [str(getattr(annotation, "__name__", "?"))]


def _members_of_text(text: str) -> list[str]:
    """The names of the types an annotation's source text allows."""
    try:
        return _union_members(ast.parse(text, mode="eval").body)
    except SyntaxError:
        return ["?"]


def _union_members(node: ast.expr) -> list[str]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _union_members(node.left) + _union_members(node.right)
    if isinstance(node, ast.Subscript):
        wrapper = _last_name(node.value)
        inner = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if wrapper in ("Optional", "Union"):
            return [m for item in inner for m in _union_members(item)]
        if wrapper == "Annotated" and inner:
            return _union_members(inner[0])
        return [wrapper]
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return _members_of_text(node.value)
    return [_last_name(node)]


def _last_name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Constant) and node.value is None:
        return "None"
    return "?"


def _only_float(members: Iterable[str]) -> bool:
    names = set(members)
    return "float" in names and not names & _NOT_ONLY_FLOAT


def documented_float(docs: Iterable[str], name: str) -> bool | None:
    """What the documentation says: True for a float, False for an int, None for neither.

    Reads numpydoc (``C : float, default=1.0``) and Google style (``C (float): ...``).
    """
    escaped = re.escape(name)
    patterns = (rf"^\s*{escaped}\s*:\s*(?P<type>[^\n]*)$", rf"^\s*{escaped}\s*\((?P<type>[^)]*)\)\s*:")
    for doc in docs:
        for pattern in patterns:
            found = re.search(pattern, doc, re.MULTILINE)
            if found is None:
                continue
            declared = found.group("type").lower()
            if re.search(r"\bint\b|\bintegers?\b", declared):
                return False
            if re.search(r"\bfloat\b", declared):
                return True
            return None
    return None


def constrained_float(constraint_names: set[str] | None) -> bool | None:
    """What scikit-learn's parameter constraints say, from the names they use.

    False when integers are told apart from floats (``Integral``, ``RealNotInt``),
    True when only real numbers are allowed, None when they say nothing about numbers.
    """
    if not constraint_names:
        return None
    if constraint_names & _INTEGER_CONSTRAINTS:
        return False
    return True if constraint_names & {"Real", "float"} else None


def is_float_parameter(annotation: bool | None, default: Any, documented: bool | None,
                       constrained: bool | None) -> bool:
    """The rule of this module, from what each source says about one parameter."""
    if annotation is not None:
        return annotation
    if documented is False or constrained is False:
        return False
    if documented or constrained:
        return True
    return type(default) is float


# ------------------------------------------------------------------ imported objects


def live_float_params(obj: Any, parameters: Iterable[inspect.Parameter],
                      hints: Mapping[str, Any]) -> tuple[str, ...]:
    """The float parameters of an imported class or function."""
    docs = [d for d in (inspect.getdoc(obj), getattr(getattr(obj, "__init__", None), "__doc__", None))
            if isinstance(d, str)]
    constraints = getattr(obj, "_parameter_constraints", None)
    found = []
    for parameter in parameters:
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        annotation = hints.get(parameter.name, parameter.annotation)
        names = _live_constraint_names(constraints, parameter.name)
        default = _NO_DEFAULT if parameter.default is parameter.empty else parameter.default
        if is_float_parameter(annotation_is_float(annotation), default,
                              documented_float(docs, parameter.name), constrained_float(names)):
            found.append(parameter.name)
    return tuple(found)


def _live_constraint_names(constraints: Any, name: str) -> set[str] | None:
    if not isinstance(constraints, Mapping) or not isinstance(constraints.get(name), list):
        return None
    names = set()
    for constraint in constraints[name]:
        names.add(type(constraint).__name__)
        for part in (constraint, getattr(constraint, "type", None)):
            if isinstance(part, type):
                names.add(part.__name__)
            elif isinstance(part, str):
                names.add(part)
    return names


# ------------------------------------------------------------------ source read with ast


def static_float_params(node: ast.stmt, class_named: Callable[[str], ast.ClassDef | None]
                        ) -> tuple[str, ...]:
    """The float parameters of a class or function definition read from source.

    Args:
        node: The definition.
        class_named: The class of that name the same module defines, or None: a class's
            ``__init__``, documentation and constraints may come from its bases.
    """
    classes = _class_chain(node, class_named) if isinstance(node, ast.ClassDef) else []
    documented: list[ast.AST] = [node, *_inits(classes)]
    docs = [d for n in documented
            if isinstance(n, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and (d := ast.get_docstring(n))]
    found = []
    for name, annotation, default in _arguments(node, classes):
        verdict = None if annotation is None else annotation_text_is_float(ast.unparse(annotation))
        if is_float_parameter(verdict, default, documented_float(docs, name),
                              constrained_float(_static_constraint_names(classes, name))):
            found.append(name)
    return tuple(found)


def _class_chain(node: ast.ClassDef, class_named: Callable[[str], ast.ClassDef | None]
                 ) -> list[ast.ClassDef]:
    """The class and its same-module bases, breadth first (an approximation of its MRO)."""
    chain = [node]
    for cls in chain:  # grows while iterated
        for base in cls.bases:
            found = class_named(base.id) if isinstance(base, ast.Name) else None
            if found is not None and found not in chain:
                chain.append(found)
    return chain


def _inits(classes: list[ast.ClassDef]) -> list[ast.FunctionDef]:
    return [item for cls in classes for item in cls.body
            if isinstance(item, ast.FunctionDef) and item.name == "__init__"]


def _arguments(node: ast.stmt, classes: list[ast.ClassDef]) -> list[tuple[str, ast.expr | None, Any]]:
    """(name, annotation, default) of each parameter, the default literal-evaluated."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return _from_args(node.args, skip_self=False)
    inits = _inits(classes)
    if inits:
        return _from_args(inits[0].args, skip_self=True)
    fields: list[tuple[str, ast.expr | None, Any]] = []
    for item in classes[0].body if classes else []:
        if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
            fields.append((item.target.id, item.annotation, _literal(item.value)))
    return fields


def _from_args(args: ast.arguments, skip_self: bool) -> list[tuple[str, ast.expr | None, Any]]:
    positional = [*args.posonlyargs, *args.args][1 if skip_self else 0:]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
    defaults += list(args.defaults)
    pairs = [*zip(positional, defaults, strict=True), *zip(args.kwonlyargs, args.kw_defaults,
                                                            strict=True)]
    return [(arg.arg, arg.annotation, _literal(default)) for arg, default in pairs]


def _literal(node: ast.expr | None) -> Any:
    if node is None:
        return _NO_DEFAULT
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _NO_DEFAULT


def _static_constraint_names(classes: list[ast.ClassDef], name: str) -> set[str] | None:
    for cls in classes:  # the class first: its own entry overrides a base's
        for item in cls.body:
            value = _constraints_value(item)
            if not isinstance(value, ast.Dict):
                continue
            for key, entry in zip(value.keys, value.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == name:
                    return {_last_name(n) if isinstance(n, ast.Name | ast.Attribute) else str(n.value)
                            for n in ast.walk(entry)
                            if isinstance(n, ast.Name | ast.Attribute)
                            or (isinstance(n, ast.Constant) and isinstance(n.value, str))}
    return None


def _constraints_value(item: ast.stmt) -> ast.expr | None:
    if isinstance(item, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "_parameter_constraints" for t in item.targets):
        return item.value
    if (isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
            and item.target.id == "_parameter_constraints"):
        return item.value
    return None
