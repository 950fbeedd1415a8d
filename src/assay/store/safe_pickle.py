"""Pickle with an exact allow-list on load: fitted estimators without arbitrary code execution.

Plain ``pickle.load`` calls whatever a file names, so loading an untrusted file can run
any code. This loader looks a global up only when its exact ``(module, qualified name)``
pair is in :data:`ALLOWED` (what the model kinds assay ships need: their scikit-learn
classes, NumPy and pandas reconstruction helpers, a few builtin types), or in the
project's :class:`Allowance` (``security.allow_pickle``, and the classes its config names
as ``_target_``). Nothing in a stored artifact can extend the list.

Every entry of :data:`ALLOWED` is a class or a reconstruction helper that is harmless to
call with any arguments: no entry reads or writes files, loads libraries or imports
modules. A name is never resolved through attributes (``subprocess.Popen`` under module
``assay.registry.lineage`` is refused, not looked up), and what the pickle format could
otherwise reach is refused too: persistent ids, copyreg's extension codes,
``copyreg._reconstructor`` with a base other than a plain builtin type, and a BUILD that
sets attributes on a class or function it looked up (that would patch it for the
whole process). A refusal is an :class:`UnsafeArtifactError` naming the global, raised
before anything it names is called.

skops implements the same idea with its own format; its load is slower (see
``benchmarks/skops_load.py``), and importing it imports all of scikit-learn.
"""

from __future__ import annotations

import contextlib
import copyreg
import importlib
import io
import pickle
import re
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from assay.errors import ConfigError, Problem, StoreError

PROTOCOL = 5

# Built by pickling a fitted instance of every shipped model kind and features option
# (configs/model, configs/features, binary, multiclass and regression targets) and
# collecting every global the streams name; tests/unit/test_safe_pickle.py derives it
# again and fails when a shipped kind needs a pair that is missing here.
_SCIKIT_LEARN = frozenset({
    ("sklearn._loss._loss", "CyHalfBinomialLoss"),
    ("sklearn._loss._loss", "CyHalfMultinomialLoss"),
    ("sklearn._loss._loss", "CyHalfSquaredError"),
    ("sklearn._loss._loss", "__pyx_unpickle_CyHalfMultinomialLoss"),
    ("sklearn._loss.link", "IdentityLink"),
    ("sklearn._loss.link", "Interval"),
    ("sklearn._loss.link", "LogitLink"),
    ("sklearn._loss.link", "MultinomialLogit"),
    ("sklearn._loss.loss", "HalfBinomialLoss"),
    ("sklearn._loss.loss", "HalfMultinomialLoss"),
    ("sklearn._loss.loss", "HalfSquaredError"),
    ("sklearn.compose._column_transformer", "ColumnTransformer"),
    ("sklearn.compose._column_transformer", "make_column_selector"),
    ("sklearn.ensemble._forest", "RandomForestClassifier"),
    ("sklearn.ensemble._hist_gradient_boosting.binning", "_BinMapper"),
    ("sklearn.ensemble._hist_gradient_boosting.gradient_boosting",
     "HistGradientBoostingClassifier"),
    ("sklearn.ensemble._hist_gradient_boosting.gradient_boosting",
     "HistGradientBoostingRegressor"),
    ("sklearn.ensemble._hist_gradient_boosting.predictor", "TreePredictor"),
    ("sklearn.linear_model._logistic", "LogisticRegression"),
    ("sklearn.linear_model._ridge", "Ridge"),
    ("sklearn.pipeline", "Pipeline"),
    ("sklearn.preprocessing._data", "MinMaxScaler"),
    ("sklearn.preprocessing._data", "StandardScaler"),
    ("sklearn.preprocessing._encoders", "OneHotEncoder"),
    ("sklearn.preprocessing._function_transformer", "FunctionTransformer"),
    ("sklearn.preprocessing._label", "LabelEncoder"),
    ("sklearn.tree._classes", "DecisionTreeClassifier"),
    ("sklearn.tree._tree", "Tree"),
})

# assay's torch estimators pickle their weights as torch.save bytes, which they load
# with torch.load(weights_only=True); the pickle itself names only these classes.
_ASSAY = frozenset({
    ("assay.torch.estimators", "MLPClassifier"),
    ("assay.torch.estimators", "MLPRegressor"),
    ("assay.torch.estimators", "TorchClassifier"),
    ("assay.torch.estimators", "TorchRegressor"),
})

# Arrays, dtypes, scalars and random generators. ``numpy.core`` is where NumPy 1
# pickled the same helpers; NumPy 2 keeps it as an alias of ``numpy._core``.
_NUMPY = frozenset({
    ("numpy", "dtype"),
    ("numpy", "ndarray"),
    *(("numpy", scalar) for scalar in (
        "bool", "bool_", "bytes_", "complex64", "complex128", "datetime64", "float16",
        "float32", "float64", "int8", "int16", "int32", "int64", "longdouble", "object_",
        "str_", "timedelta64", "uint8", "uint16", "uint32", "uint64",
    )),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy._core.numeric", "_frombuffer"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy.random._mt19937", "MT19937"),
    ("numpy.random._pcg64", "PCG64"),
    ("numpy.random._pcg64", "PCG64DXSM"),
    ("numpy.random._philox", "Philox"),
    ("numpy.random._sfc64", "SFC64"),
    ("numpy.random._pickle", "__bit_generator_ctor"),
    ("numpy.random._pickle", "__generator_ctor"),
    ("numpy.random._pickle", "__randomstate_ctor"),
    ("numpy.random.bit_generator", "SeedSequence"),
    ("numpy.random.bit_generator", "__pyx_unpickle_SeedSequence"),
})

# NumPy-backed frames, series, indexes and categoricals, as an estimator may keep one.
# Arrow-backed columns (pandas 3 keeps text, column names included, in Arrow) are left
# out: pyarrow's helpers build arrays from raw buffers and lengths without checking them.
_PANDAS = frozenset({
    ("pandas", "Categorical"),
    ("pandas", "CategoricalDtype"),
    ("pandas", "DataFrame"),
    ("pandas", "Index"),
    ("pandas", "RangeIndex"),
    ("pandas", "Series"),
    ("pandas._libs.arrays", "__pyx_unpickle_NDArrayBacked"),
    ("pandas._libs.internals", "_unpickle_block"),
    ("pandas.core.indexes.base", "_new_Index"),
    ("pandas.core.internals.managers", "BlockManager"),
    ("pandas.core.internals.managers", "SingleBlockManager"),
})

_BUILTIN_TYPES = ("bool", "bytearray", "bytes", "complex", "dict", "float", "frozenset",
                  "int", "list", "object", "set", "slice", "str", "tuple")
_PYTHON = frozenset({
    *(("builtins", name) for name in _BUILTIN_TYPES),
    ("collections", "OrderedDict"),
    ("collections", "defaultdict"),
    # Checked when called: the class must be allowed and the base a plain builtin type.
    ("copyreg", "_reconstructor"),
})

ALLOWED: frozenset[tuple[str, str]] = _SCIKIT_LEARN | _ASSAY | _NUMPY | _PANDAS | _PYTHON
"""Every ``(module, qualified name)`` a stored pickle may name, whatever the project."""

# Modules a project may not add to the list: they run commands, load libraries, import
# code, read files or the network, or chain calls and attribute lookups into any of it
# (operator.attrgetter and methodcaller, functools.partial, types, inspect, gc).
_NEVER = re.compile(
    r"^(os|posix|nt|subprocess|builtins|importlib|ctypes|_ctypes|runpy|pickle|_pickle|marshal|"
    r"shelve|dill|cloudpickle|joblib|shutil|socket|sys|io|_io|pty|code|codeop|codecs|_codecs|"
    r"webbrowser|tempfile|urllib|http|ftplib|multiprocessing|threading|_thread|signal|asyncio|"
    r"concurrent|operator|_operator|functools|_functools|types|inspect|gc|weakref|copyreg|"
    r"numpy\.ctypeslib|numpy\.lib\.npyio|numpy\.lib\.format|pandas\.io|scipy\.io|"
    r"torch\.serialization|torch\.hub|torch\.jit|torch\.package|torch\.utils\.cpp_extension)"
    r"(\.|$)")
_PAIR = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")


class UnsafeArtifactError(StoreError):
    """A pickled artifact names something the loader does not trust (exit 2)."""

    exit_code = 2


@dataclass(frozen=True)
class Allowance:
    """What a project trusts besides :data:`ALLOWED`; it comes from the project's config,
    never from an artifact.

    Attributes:
        pairs: Exact ``(module, qualified name)`` pairs (``security.allow_pickle``).
        targets: Dotted ``_target_`` paths the config names. Each is trusted only if it
            is a class, under the module and name it was defined with (a re-export such
            as ``sklearn.svm.SVC`` trusts ``sklearn.svm._classes:SVC``); functions are not.
    """

    pairs: frozenset[tuple[str, str]] = frozenset()
    targets: frozenset[str] = frozenset()
    _classes: dict[str, tuple[str, str] | None] = field(default_factory=dict, compare=False,
                                                         repr=False, hash=False)

    @classmethod
    def parse(cls, allow_pickle: Iterable[str] = (), targets: Iterable[str] = (),
              key: str = "security.allow_pickle") -> Allowance:
        """Checks the ``module:qualname`` entries of ``allow_pickle``.

        Raises:
            ConfigError: an entry that is not ``module:qualname``, or that names a module
                that runs commands, loads libraries or reads files.
        """
        pairs, problems = set(), []
        for index, entry in enumerate(allow_pickle):
            text = str(entry)
            if not _PAIR.match(text):
                problems.append(Problem(
                    f"'{text}' is not a module:qualname pair", key=f"{key}[{index}]",
                    expected="the module and the class name of a global the pickle names, "
                             "such as 'mypackage.models:MyEstimator'",
                    hint="the refusal message of the loader names the pair to add"))
                continue
            module, name = text.split(":")
            if _NEVER.match(module):
                problems.append(Problem(
                    f"'{text}' cannot be allowed: {module} runs commands, loads libraries, "
                    "imports code or reads files", key=f"{key}[{index}]",
                    hint="allow only your own estimator classes"))
                continue
            pairs.add((module, name))
        if problems:
            raise ConfigError(problems)
        return cls(frozenset(pairs), frozenset(str(t) for t in targets))

    def entries(self) -> list[str]:
        """The pairs as ``module:qualname`` strings, sorted."""
        return sorted(f"{module}:{name}" for module, name in self.pairs)

    def target_class(self, module: str, name: str) -> bool:
        """Whether ``(module, name)`` is the definition of a class the config names."""
        for path in self.targets:
            if path not in self._classes:
                self._classes[path] = _defined_at(path)
        return (module, name) in self._classes.values()


def _defined_at(path: str) -> tuple[str, str] | None:
    """``(__module__, __qualname__)`` of the class ``path`` names; None when it names no
    class or cannot be imported (the config that names it is what imports it)."""
    module_name, _, attribute = path.rpartition(".")
    try:
        found = getattr(importlib.import_module(module_name), attribute)
    except Exception:  # a bad target is the compiler's to report, not the loader's
        return None
    if not isinstance(found, type):
        return None
    return found.__module__, found.__qualname__


NOTHING_EXTRA = Allowance()
_current: ContextVar[Allowance] = ContextVar("assay_pickle_allowance", default=NOTHING_EXTRA)


@contextlib.contextmanager
def allowing(allowance: Allowance) -> Iterator[None]:
    """Loads inside the block (in this thread) trust ``allowance`` besides :data:`ALLOWED`."""
    token = _current.set(allowance)
    try:
        yield
    finally:
        _current.reset(token)


def dumps(value: Any) -> bytes:
    """The pickled bytes of ``value``."""
    return pickle.dumps(value, protocol=PROTOCOL)


def loads(data: bytes, allowance: Allowance | None = None, *, source: str = "the pickle") -> Any:
    """Unpickles ``data``, looking up only allowed globals.

    Args:
        data: Pickled bytes.
        allowance: What the project trusts besides :data:`ALLOWED`; by default the one
            set by :func:`allowing`, else nothing.
        source: What the data is (a path), for messages.

    Raises:
        UnsafeArtifactError: naming the first global, extension code or persistent id
            that is not allowed, before it is called.
        pickle.UnpicklingError: when ``data`` is not a pickle of allowed objects (truncated,
            or arguments an allowed class rejects).
    """
    unpickler = _RestrictedUnpickler(io.BytesIO(data), allowance or _current.get(), source)
    try:
        value = unpickler.load()
    except UnsafeArtifactError:
        raise
    except Exception as error:
        # An extension code copyreg's registry lacks fails in the unpickler itself; one
        # it has goes through find_class like any global.
        code = re.fullmatch(r"unregistered extension code (\d+)", str(error))
        if code:
            raise unpickler.refuse(f"extension code {code.group(1)}") from None
        raise pickle.UnpicklingError(
            f"cannot unpickle {source}: {type(error).__name__}: {error}") from error
    finally:
        unpickler.restore_patched()
    return value


class _RestrictedUnpickler(pickle.Unpickler):
    def __init__(self, stream: io.BytesIO, allowance: Allowance, source: str) -> None:
        # fix_imports=False: Python 2 names are not mapped to others after the check.
        super().__init__(stream, fix_imports=False)
        self.allowance = allowance
        self.source = source
        self.found: dict[int, tuple[str, Any, dict[str, Any]]] = {}

    def refuse(self, what: str, why: str = "only what assay's model kinds need and what the "
               "project allows is loaded") -> UnsafeArtifactError:
        hint = None
        if ":" in what and "." not in what.partition(":")[2]:
            hint = (f"if {what} is a class of your own that the model keeps, add \"{what}\" "
                    "to security.allow_pickle in the project config; if not, assay did not "
                    "write this file for this project: do not load it")
        return UnsafeArtifactError(
            f"refusing to load {self.source}: it names {what}, which assay does not load "
            f"from a stored artifact ({why})", hint=hint)

    def find_class(self, module: str, name: str) -> Any:
        pair = (module, name)
        if pair not in ALLOWED and pair not in self.allowance.pairs \
                and not self.allowance.target_class(module, name):
            if "." in name:
                raise self.refuse(f"{module}:{name}", "a dotted name reaches through the "
                                  "module's attributes to anything it imported")
            raise self.refuse(f"{module}:{name}")
        found = _resolve(module, name)
        if found is None:
            raise self.refuse(f"{module}:{name}", "it does not name a class or function there")
        defined = (getattr(found, "__module__", None), getattr(found, "__qualname__", None))
        if pair not in ALLOWED and defined != pair:
            # A project's entry must name what its module defines, not what it imported:
            # "mymodels:system" after ``from os import system`` is os.system.
            raise self.refuse(f"{module}:{name}", "it is not defined there but imported from "
                              f"{defined[0]}" if defined[0] else "it is not a class or function")
        if pair == ("copyreg", "_reconstructor"):
            return self._reconstructor
        self._watch(f"{module}:{name}", found)
        return found

    def persistent_load(self, pid: Any) -> Any:
        raise self.refuse("a persistent id", "assay never writes them")

    def _reconstructor(self, cls: Any, base: Any, state: Any) -> Any:
        # copyreg's protocol 0/1 helper runs base.__init__(obj, state): only the plain
        # builtin types are fine as the base, and only a class this load allowed as cls.
        allowed = {id(v[1]) for v in self.found.values()}
        if not isinstance(cls, type) or id(cls) not in allowed \
                or base not in _SAFE_BASES or not issubclass(cls, base):
            raise self.refuse("copyreg:_reconstructor", "called with a class or base that is "
                              f"not allowed ({cls!r}, {base!r})")
        return copyreg._reconstructor(cls, base, state)  # type: ignore[attr-defined]

    def _watch(self, label: str, found: Any) -> None:
        """Remembers the attributes of what was looked up, to undo and refuse a BUILD that
        sets attributes on it instead of on an instance."""
        if id(found) not in self.found:
            self.found[id(found)] = (label, found, _attributes(found))

    def restore_patched(self) -> None:
        """Undoes any change to a looked-up class or function; refuses the load if any."""
        patched = []
        for label, found, before in self.found.values():
            after = _attributes(found)
            if after.keys() == before.keys() and all(_same(k, v, after[k]) for k, v in before.items()):
                continue
            patched.append(label)
            for key in after.keys() - before.keys():
                with contextlib.suppress(AttributeError, TypeError):
                    delattr(found, key)
            for key, value in before.items():
                if not _same(key, value, after.get(key, _MISSING)):
                    with contextlib.suppress(AttributeError, TypeError):
                        setattr(found, key, value)
        if patched:
            raise self.refuse(patched[0], "it sets attributes of the class or function "
                                          "itself, which would change it for the whole process")


_MISSING = object()
_SAFE_BASES = (object, int, float, complex, str, bytes, tuple, list, dict, set, frozenset)


_SLOTS = ("__defaults__", "__kwdefaults__", "__name__", "__qualname__", "__module__", "__doc__",
          "__bases__")
"""Attributes a BUILD can set that live outside ``__dict__`` (on the type or function itself).
A C type makes a new string each time its name is read, so these compare by value."""


def _attributes(found: Any) -> dict[str, Any]:
    attributes = dict(getattr(found, "__dict__", None) or {})
    for slot in _SLOTS:
        if slot not in attributes and hasattr(found, slot):
            attributes[slot] = getattr(found, slot)
    return attributes


def _same(key: str, before: Any, after: Any) -> bool:
    return after is before or (key in _SLOTS and type(after) is type(before) and after == before)


def _resolve(module: str, name: str) -> Any:
    """The object ``module.name``, importing the module; a dotted ``name`` (an allowed
    nested class) is followed attribute by attribute, only once its exact pair passed."""
    try:
        found: Any = importlib.import_module(module)
        for part in name.split("."):
            found = getattr(found, part)
    except (ImportError, AttributeError):
        return None
    return found
