"""Pickle with an allow-list on load: fitted estimators without arbitrary code execution.

Plain ``pickle.load`` calls whatever callable a file names, so loading an untrusted
file can run any code. This loader resolves a global only if it is:

* a class (or a NumPy ufunc) from a trusted package: NumPy, SciPy, scikit-learn,
  pandas, assay, or a non-standard-library package recorded when the artifact was
  written (the package of a configured estimator, say);
* one of a few named reconstruction helpers (NumPy arrays, scalars and random
  generators, ``copyreg._reconstructor``, Cython ``__pyx_unpickle_*``);
* a harmless builtin type (``list``, ``slice``, ``complex``, ...).

Anything else (``os.system``, ``builtins.eval``, ``subprocess.Popen``) is refused
before it is called. The approach is Python's documented "restricting globals";
skops implements the same idea, but importing it costs about 2.4 s per worker
process (it imports all of scikit-learn to list its trusted types), which would
dominate every run on a small cluster.
"""

from __future__ import annotations

import io
import pickle
import sys
from collections.abc import Iterable
from typing import Any

from assay.errors import StoreError

DEFAULT_PACKAGES = frozenset({"numpy", "scipy", "sklearn", "pandas", "assay"})

_SAFE_BUILTINS = frozenset({
    "list", "dict", "tuple", "set", "frozenset", "slice", "complex", "bytearray", "bytes",
    "int", "float", "bool", "str", "range", "object",
})
_HELPERS = frozenset({
    ("copyreg", "_reconstructor"),
    ("collections", "OrderedDict"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.numeric", "_frombuffer"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy.random._pickle", "__bit_generator_ctor"),
    ("numpy.random._pickle", "__generator_ctor"),
    ("numpy.random._pickle", "__randomstate_ctor"),
})


class UnsafeArtifactError(StoreError):
    """A pickled artifact names something the loader does not trust."""


class _RecordingPickler(pickle.Pickler):
    """Notes the top-level package of every object it writes."""

    def __init__(self, stream: io.BytesIO) -> None:
        super().__init__(stream, protocol=5)
        self.packages: set[str] = set()

    def persistent_id(self, obj: Any) -> None:
        module = obj.__module__ if isinstance(obj, type) else type(obj).__module__
        if isinstance(module, str):
            self.packages.add(module.split(".")[0])
        return None


def dumps(value: Any) -> tuple[bytes, list[str]]:
    """The pickled bytes and the non-default packages they reference."""
    stream = io.BytesIO()
    pickler = _RecordingPickler(stream)
    pickler.dump(value)
    extra = sorted(
        p for p in pickler.packages
        if p not in DEFAULT_PACKAGES and p not in sys.stdlib_module_names and not p.startswith("_")
    )
    return stream.getvalue(), extra


def loads(data: bytes, packages: Iterable[str] = ()) -> Any:
    """Unpickles ``data``, resolving only allowed globals.

    Args:
        data: Bytes written by :func:`dumps`.
        packages: Extra trusted top-level packages (standard-library ones are ignored).

    Raises:
        UnsafeArtifactError: naming the first global that is not allowed.
    """
    trusted = DEFAULT_PACKAGES | {p for p in packages if p not in sys.stdlib_module_names}
    return _RestrictedUnpickler(io.BytesIO(data), trusted).load()


class _RestrictedUnpickler(pickle.Unpickler):
    def __init__(self, stream: io.BytesIO, trusted: frozenset[str] | set[str]) -> None:
        super().__init__(stream)
        self.trusted = trusted

    def find_class(self, module: str, name: str) -> Any:
        if module == "builtins":
            if name in _SAFE_BUILTINS:
                return super().find_class(module, name)
        elif (module, name) in _HELPERS or (
            name.startswith("__pyx_unpickle_") and module.split(".")[0] in self.trusted
        ):
            return super().find_class(module, name)
        elif module.split(".")[0] in self.trusted:
            found = super().find_class(module, name)
            if isinstance(found, type) or type(found).__name__ == "ufunc":
                return found
        raise UnsafeArtifactError(
            f"refusing to load '{module}.{name}': only classes from trusted packages "
            f"({', '.join(sorted(self.trusted))}) may be rebuilt from a stored artifact"
        )
