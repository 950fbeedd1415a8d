"""Which classes and functions a config or a pipeline spec may make assay build or call.

Hydra's ``instantiate`` imports and calls whatever a ``_target_`` names, so a config is
code: ``_target_: pandas.read_pickle`` with a crafted file runs that file's payload.
Hydra's own blocklist stops only a handful of names (``os.system``, ``subprocess.*``,
``builtins.exec``). assay therefore allows, at compile time and before anything runs,
only what lies under an allow-list of module prefixes: scikit-learn, torch, assay's
step and torch packages, the project's own modules (files under the project directory)
and what ``security.allow_targets`` adds.

Two further rules close the obvious detours:

* A deny list refuses, even under an allowed prefix, callables that load pickles or run
  code from files, the shell or the network (``torch.load``, ``torch.hub``, ``torch.os``
  reached through ``torch/__init__.py``'s ``import os``, ...). The most specific rule
  wins; a prefix in ``security.allow_targets`` wins a tie with the deny list:
  ``security.allow_targets=[torch.load]`` allows ``torch.load``, ``[pandas]`` still
  refuses ``pandas.read_pickle``.
* What a path *resolves to* must be allowed too: ``sklearn.base.np.load`` is written
  under ``sklearn`` but is ``numpy.load``. Resolution reads the modules' source with
  :mod:`ast`, as :mod:`assay.compiler.targets` does, so nothing is imported; only
  where static reading cannot decide (a module-level ``__getattr__``, a compiled
  module) is a module under an allowed prefix imported to look.
"""

from __future__ import annotations

import ast
import fnmatch
import functools
import importlib
import importlib.machinery
import inspect
import sys
import sysconfig
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assay.compiler.params import Locate, find_targets
from assay.compiler.targets import (
    TargetNotFoundError,
    _absolute_module,
    _find_spec,
    _parse,
    _top_level,
    inspect_target,
)
from assay.errors import ConfigError, Problem

DEFAULT_ALLOWED: tuple[str, ...] = ("sklearn", "torch", "assay.steps", "assay.torch")
"""Module prefixes every project may name (the project's own modules come on top)."""

DENIED: tuple[str, ...] = (
    # Python itself: calling, importing, the shell, files, processes, the network.
    "builtins", "os", "posix", "nt", "sys", "subprocess", "importlib", "runpy", "code",
    "codeop", "ctypes", "shutil", "pty", "socket", "multiprocessing", "threading",
    "signal", "pathlib", "io", "tempfile", "webbrowser", "operator", "functools",
    # loaders that unpickle (run the file's code)
    "pickle", "_pickle", "marshal", "shelve", "dill", "cloudpickle", "joblib",
    "numpy.load", "numpy.lib.npyio", "pandas.read_pickle", "pandas.io.pickle",
    "hydra", "omegaconf",
    "torch.load", "torch.serialization", "torch.hub", "torch.jit", "torch.package",
    "torch.export", "torch.utils.model_zoo", "torch.utils.cpp_extension",
    "torch.utils.benchmark", "torch.utils.collect_env", "torch.distributed",
    "torch.multiprocessing", "torch.fx", "torch.library", "torch.ops", "torch.classes",
    "torch.compile", "torch.os", "torch.sys", "torch._*",
    "sklearn.utils._joblib", "sklearn.utils._testing", "sklearn.utils.estimator_checks",
    "sklearn.externals", "sklearn.datasets.fetch_*", "sklearn.datasets._*.fetch_*",
)
"""Refused even under an allowed prefix; a trailing ``*`` matches the start of the last part."""

SETTING = "security.allow_targets"
_DEFAULT_PARTS = tuple(tuple(p.split(".")) for p in DEFAULT_ALLOWED)
_DENIED_PARTS = tuple((tuple(p.split(".")), p) for p in DENIED)


@dataclass(frozen=True)
class Verdict:
    """Whether a dotted path may be built, and if not, why."""

    allowed: bool
    reason: str = ""
    denied: bool = False  # only listing the exact path in the settings can allow it


class TargetPolicy:
    """The allow-list of one project and config.

    Args:
        project_root: The project directory: modules found under it (outside the
            interpreter's own and installed packages) are the project's and allowed.
        extra: Module prefixes from ``security.allow_targets``.
    """

    def __init__(self, project_root: Path, extra: Sequence[str] = ()) -> None:
        self.project_root = project_root.resolve()
        self.extra = tuple(extra)
        self._extra = tuple(_parts(p) for p in self.extra)
        # the most specific rule wins; on a tie the deny list beats the defaults, and a
        # prefix the user set beats the deny list
        self._allow = (*_DEFAULT_PARTS, *self._extra)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TargetPolicy) and self._key == other._key

    def __hash__(self) -> int:
        return hash(self._key)

    @property
    def _key(self) -> tuple[Path, tuple[str, ...]]:
        return self.project_root, self.extra

    def check(self, path: str) -> Verdict:
        """The verdict on ``path``, a ``_target_`` or a step's ``module.function``."""
        return _check_cached(self, path)

    def _decide(self, path: str) -> Verdict:
        parts = path.split(".")
        if not all(p.isascii() and p.isidentifier() for p in parts):
            return Verdict(False, f"'{path}' is not a dotted import path")
        if tuple(parts) in self._extra:
            return Verdict(True)  # named exactly in the settings: the user's own choice
        written = self._rule(parts)
        if not written.allowed:
            return written
        definitions = resolve_definitions(path)
        if definitions == () and not _importable(path):
            return written  # nothing to build: reported as a target that cannot be imported
        if not definitions:
            # Static reading could not tell (or found nothing, where a module fills its
            # namespace at import time): the module is allowed, so importing it to look
            # runs nothing a config chose.
            definitions = _resolve_imported(path)
        if definitions is None:
            return Verdict(False, f"what '{path}' names cannot be determined", denied=True)
        for definition in definitions:
            if definition == path:
                continue
            verdict = self._rule(definition.split("."))
            if not verdict.allowed:
                return Verdict(False, f"'{path}' is '{definition}': {verdict.reason}",
                               verdict.denied)
        return written

    def _rule(self, parts: list[str]) -> Verdict:
        allow = max((len(p) for p in self._allow if _matches(p, parts)), default=0)
        chosen = max((len(p) for p in self._extra if _matches(p, parts)), default=0)
        denied = [(len(p), text) for p, text in _DENIED_PARTS if _matches(p, parts)]
        deny, rule = max(denied, default=(0, ""))
        if deny and deny >= allow and deny > chosen:
            return Verdict(False, f"'{rule}' is on assay's deny list (it can run code from "
                                  "files, the shell or the network)", denied=True)
        if allow or self._is_project_module(parts[0]):
            return Verdict(True)
        return Verdict(False, "it is outside the allowed modules (scikit-learn, torch, "
                              "assay.steps, assay.torch, this project's modules"
                              + "".join(f", {p}" for p in self.extra) + ")")

    def _is_project_module(self, top: str) -> bool:
        return _is_project_module(top, str(self.project_root))

    def findable(self, path: str) -> bool:
        """Whether the top-level module of ``path`` exists (else import reports it)."""
        top = path.split(".", 1)[0]
        return top in sys.modules or _find_spec(top) is not None


@functools.lru_cache(maxsize=1024)
def _check_cached(policy: TargetPolicy, path: str) -> Verdict:
    return policy._decide(path)


def _parts(prefix: str) -> tuple[str, ...]:
    return tuple(prefix.strip().split("."))


def _matches(prefix: Sequence[str], parts: Sequence[str]) -> bool:
    if len(prefix) > len(parts):
        return False
    return all(p == q or ("*" in p and fnmatch.fnmatchcase(q, p)) for p, q in zip(prefix, parts,
                                                                                  strict=False))


@functools.lru_cache(maxsize=256)
def _is_project_module(top: str, project_root: str) -> bool:
    """Whether module ``top`` is a file under the project directory, not an installed one."""
    module = sys.modules.get(top)
    spec = getattr(module, "__spec__", None) if module is not None else _find_spec(top)
    if spec is None:
        return False
    locations = [spec.origin] if spec.origin and spec.origin not in ("built-in", "frozen") else []
    locations += list(spec.submodule_search_locations or [])
    if not locations:
        return False
    root = Path(project_root)
    for location in locations:
        path = Path(location).resolve()
        if not path.is_relative_to(root) or _installed(path):
            return False
    return True


def _user_code(top: str) -> bool:
    """Whether module ``top`` is a file on Python's path outside its library and
    installed packages."""
    module = sys.modules.get(top)
    spec = getattr(module, "__spec__", None) if module is not None else _find_spec(top)
    origin = getattr(spec, "origin", None)
    if not origin or origin in ("built-in", "frozen"):
        return False
    return not _installed(Path(origin).resolve())


def _installed(path: Path) -> bool:
    """Whether ``path`` lies in the interpreter's library or an installed-packages folder
    (a virtualenv inside the project directory is not the project's code)."""
    if {"site-packages", "dist-packages"} & set(path.parts):
        return True
    names = ("stdlib", "platstdlib", "purelib", "platlib")
    libraries = {Path(p).resolve() for k, p in sysconfig.get_paths().items() if k in names}
    return any(path.is_relative_to(library) for library in libraries)


# ------------------------------------------------------------------ what a path names


_MAX_DEPTH = 8


def resolve_definitions(path: str) -> tuple[str, ...] | None:
    """Where the object at ``path`` is defined: its dotted paths after following imports.

    Returns an empty tuple when the path does not resolve (the compiler reports that as
    a target that cannot be imported), None when it cannot be determined.
    """
    return _resolve(path, 0)


@functools.lru_cache(maxsize=1024)
def _resolve(path: str, depth: int) -> tuple[str, ...] | None:
    if depth > _MAX_DEPTH:
        return None
    parts = path.split(".")
    for split in range(len(parts) - 1, 0, -1):
        module_name, attrs = ".".join(parts[:split]), parts[split:]
        if module_name in sys.modules:
            return _resolve_live(sys.modules[module_name], attrs)
        spec = _find_spec(module_name)
        if spec is not None:
            return _resolve_static(module_name, spec, attrs, depth)
    return ()


def _importable(path: str) -> bool:
    """Whether the compiler's own reading finds what ``path`` names."""
    try:
        inspect_target(path)
    except TargetNotFoundError:
        return False
    return True


def _resolve_imported(path: str) -> tuple[str, ...] | None:
    """What ``path`` names, importing its module; None when that fails."""
    parts = path.split(".")
    for split in range(len(parts) - 1, 0, -1):
        module_name = ".".join(parts[:split])
        if module_name not in sys.modules and _find_spec(module_name) is None:
            continue
        try:
            module = importlib.import_module(module_name)
        except Exception:  # reported as a target that cannot be imported
            return None
        return _resolve_live(module, parts[split:]) or None
    return None


def _resolve_live(module: Any, attrs: list[str]) -> tuple[str, ...]:
    obj, owner, rest = module, module.__name__, list(attrs)
    for index, attr in enumerate(attrs):
        if not hasattr(obj, attr):
            return ()
        obj = getattr(obj, attr)
        if inspect.ismodule(obj):
            owner, rest = obj.__name__, attrs[index + 1:]
    found = [".".join([owner, *rest])]
    defined_in, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if isinstance(defined_in, str) and isinstance(qualname, str) and "<" not in qualname:
        # the module judges it: a C function's qualname names a private holder class
        # (torch.zeros is torch._VariableFunctionsClass.zeros)
        found.append(f"{defined_in}.{qualname.rsplit('.', 1)[-1]}")
    return tuple(dict.fromkeys(found))


def _resolve_static(module_name: str, spec: importlib.machinery.ModuleSpec, attrs: list[str],
                    depth: int) -> tuple[str, ...] | None:
    if not (spec.origin and spec.origin.endswith(".py")):
        return None  # compiled or namespace module: cannot be read
    file = Path(spec.origin)
    try:
        tree = _parse(file)
    except (OSError, SyntaxError, UnicodeDecodeError):
        return None
    is_package = file.name == "__init__.py"
    name, rest = attrs[0], attrs[1:]
    found: list[str] = []
    stars: list[str] = []
    dynamic = False
    for node in _top_level(tree.body):
        bound = _bindings(node, module_name, is_package)
        if bound is _STAR:
            assert isinstance(node, ast.ImportFrom)
            stars.append(_absolute_module(module_name, is_package, node.module, node.level))
            continue
        if isinstance(node, ast.FunctionDef) and node.name == "__getattr__":
            dynamic = True
        for binding, target in bound:
            if binding != name:
                continue
            if target is None:
                return None  # bound to something computed at import time
            if target == "":
                found.append(".".join([module_name, *attrs]))  # defined here
                continue
            resolved = _resolve(".".join([target, *rest]), depth + 1)
            if resolved is None:
                return None
            found.extend(resolved)
    if found:
        return tuple(dict.fromkeys(found))
    for source in stars:
        resolved = _resolve(".".join([source, *attrs]), depth + 1)
        if resolved is None or resolved:
            return resolved
    return None if dynamic else ()


_STAR: list[tuple[str, str | None]] = []


def _bindings(node: ast.stmt, module_name: str, is_package: bool) -> list[tuple[str, str | None]]:
    """Names a top-level statement binds: "" for defined here, a dotted path for an
    import or an alias of another name, None for a value computed at import time."""
    if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
        return [(node.name, "")]
    if isinstance(node, ast.ImportFrom):
        if any(alias.name == "*" for alias in node.names):
            return _STAR
        source = _absolute_module(module_name, is_package, node.module, node.level)
        return [(alias.asname or alias.name, f"{source}.{alias.name}") for alias in node.names]
    if isinstance(node, ast.Import):
        return [(alias.asname, alias.name) if alias.asname
                else (alias.name.split(".")[0], alias.name.split(".")[0]) for alias in node.names]
    if isinstance(node, ast.Assign | ast.AnnAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        value = _dotted(node.value) if node.value is not None else None
        alias = f"{module_name}.{value}" if value else None
        return [(t.id, alias) for t in targets if isinstance(t, ast.Name)]
    return []


def _dotted(node: ast.expr) -> str | None:
    """``a.b.c`` for a plain name or attribute chain, else None."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


# ------------------------------------------------------------------ compile-time checks


def target_problems(params: Mapping[str, Any], locate: Locate, policy: TargetPolicy) -> list[Problem]:
    """A problem for every ``_target_`` in ``params`` the policy refuses."""
    problems = []
    for path, config in find_targets(params):
        target = str(config["_target_"])
        if not policy.findable(target):
            continue  # reported as a target that cannot be imported
        verdict = policy.check(target)
        if not verdict.allowed:
            site = locate([*path, "_target_"])
            problems.append(_refusal(f"_target_ '{target}'", target, verdict, site.file,
                                     site.step, site.key))
        elif target.split(".", 1)[0] == "sklearn" and config.get("memory") is not None:
            # joblib's cache in that folder is unpickled: a crafted one runs its code
            site = locate([*path, "memory"])
            problems.append(Problem(
                f"{target} may not be given a memory cache", file=site.file, step=site.step,
                key=site.key, expected="memory left unset (null)", got=repr(config["memory"]),
                hint="scikit-learn caches steps with joblib, which unpickles what it finds in "
                     "that folder; assay already caches every step by fingerprint"))
    return problems


def uses_problem(uses: str, declared: Iterable[str], policy: TargetPolicy, file: str,
                 step: str) -> Problem | None:
    """The problem with a step's ``uses: module:function``, if the policy refuses it.

    A step already declared in this process (assay's, a plugin's) is allowed: naming it
    imports nothing new. Anything else is imported to be looked up, which runs the
    module, so the module must be allowed, or be code someone put on Python's path
    themselves (not the interpreter's library or an installed package, whose modules
    such as ``pip.__main__`` run a program when imported). Only a function declared
    with ``@step`` runs as a step, so a module is all ``uses`` can choose.
    """
    if ":" not in uses or uses in declared:
        return None
    path = uses.replace(":", ".")
    if not policy.findable(path):
        return None  # reported as a module that cannot be imported
    verdict = policy.check(path)
    if verdict.allowed or (not verdict.denied and _user_code(path.split(".", 1)[0])):
        return None
    return _refusal(f"step '{uses}'", path, verdict, file, step, "uses")


def _refusal(what: str, path: str, verdict: Verdict, file: str, step: str | None,
             key: str) -> Problem:
    allow = path if verdict.denied else path.rsplit(".", 1)[0]
    return Problem(
        f"{what} is not allowed: {verdict.reason}",
        file=file,
        step=step,
        key=key,
        expected="a class or function from scikit-learn, torch, assay.steps, assay.torch, "
                 f"this project's modules or a module listed in {SETTING}",
        hint=f"if you trust it, set {SETTING}=[{allow}]: whatever it names runs with your "
             "rights, and loaders such as pandas.read_pickle run the code inside the files "
             "they read",
    )


def check_hydra_overrides(overrides: Sequence[str]) -> None:
    """Refuses command-line overrides of ``hydra.callbacks``.

    Hydra instantiates its callbacks' ``_target_`` itself, as the run starts and before
    assay's compiler sees the config, so the allow-list cannot check them. Callbacks the
    project needs belong in ``configs/config.yaml``, reviewed like code.

    Raises:
        ConfigError: naming the override.
    """
    problems = [
        Problem("hydra.callbacks cannot be set on the command line",
                file=f"command line '{override}'", key=override.partition("=")[0].lstrip("+~"),
                expected="callbacks in configs/config.yaml",
                hint="Hydra builds a callback's _target_ before assay can check it against "
                     f"{SETTING}")
        for override in overrides
        if override.partition("=")[0].lstrip("+~").split(".")[:2] == ["hydra", "callbacks"]]
    if problems:
        raise ConfigError(problems)
