"""Fitted objects of every shipped model kind, and hostile pickles to feed the loader.

The fitted objects are built the way the train pipeline builds them: each
``configs/features`` option and each ``configs/model`` option instantiated by
:func:`assay.steps.instantiate.build`, fitted, and joined in one Pipeline. Each
hostile pickle tries to create a marker file or start a process when it is loaded.
"""

from __future__ import annotations

import functools
import io
import os
import pickle
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
REGRESSORS = ("ridge", "hist_gbm_regressor", "mlp_regressor")


def _frame(rows: int = 90) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({
        "a": rng.normal(size=rows),
        "b": rng.integers(0, 5, size=rows).astype(float),
        "colour": pd.Series(rng.choice(["red", "green", "blue"], size=rows), dtype="string"),
        "size": rng.choice(["s", "m"], size=rows),
        "flag": rng.random(rows) > 0.5,
    })


def _config(path: Path) -> dict[str, Any]:
    from omegaconf import OmegaConf

    loaded = OmegaConf.to_container(OmegaConf.load(path))
    assert isinstance(loaded, dict)
    # Fewer epochs, trees and iterations: what the pickle names does not depend on them.
    if "epochs" in loaded:
        loaded.update(epochs=2, patience=None, device="cpu")
    for key in ("max_iter", "n_estimators"):
        if key in loaded and "_target_" in loaded and "sklearn.ensemble" in loaded["_target_"]:
            loaded[key] = 5
    return {str(k): v for k, v in loaded.items()}


@functools.cache
def shipped_fitted() -> tuple[tuple[str, Any], ...]:
    """Every shipped kind, fitted once per test process (see :func:`_shipped_fitted`)."""
    return tuple(_shipped_fitted())


def _shipped_fitted() -> Iterator[tuple[str, Any]]:
    """``(label, fitted object)`` for every features option, every model option on binary
    and multiclass (or regression) targets, the torch regressor beside the classifier,
    and one whole Pipeline as the train step stores it.

    A Pipeline's pickle names what its parts name and ``sklearn.pipeline:Pipeline``,
    so the parts are fitted once each rather than in every combination."""
    from sklearn.pipeline import Pipeline

    from assay.steps.instantiate import build

    frame = _frame()
    rng = np.random.default_rng(1)
    targets = {
        "binary": rng.integers(0, 2, size=len(frame)),
        "multiclass": rng.integers(0, 3, size=len(frame)),
        "regression": rng.normal(size=len(frame)),
    }
    models = {p.stem: _config(p) for p in sorted((CONFIGS / "model").glob("*.yaml"))}
    models["torch_regressor"] = {**models["torch"], "_target_": "assay.torch.TorchRegressor"}
    fitted = {}
    for path in sorted((CONFIGS / "features").glob("*.yaml")):
        columns = frame if "onehot" in path.stem else frame[["a", "b"]]
        fitted[path.stem] = build(_config(path), "transformer").fit(columns, targets["binary"])
        yield f"features={path.stem}", fitted[path.stem]
    matrix = fitted["onehot_standard"].transform(frame)
    for name, config in models.items():
        regression = name in REGRESSORS or name == "torch_regressor"
        for task in ("regression",) if regression else ("binary", "multiclass"):
            model = build(config, "estimator").fit(matrix, targets[task])
            yield f"model={name} ({task})", model
    model = build(models["logistic"], "estimator").fit(matrix, targets["binary"])
    yield "pipeline", Pipeline([("features", fitted["onehot_standard"]), ("estimator", model)])


def frame_objects() -> Iterator[tuple[str, Any]]:
    """pandas and NumPy values a fitted object may hold (NumPy-backed columns; pandas 3
    stores text in Arrow, whose helpers are not allowed)."""
    # Integer column labels: pandas 3 keeps string labels in Arrow too.
    frame = pd.DataFrame({
        0: [1.0, 2.0], 1: np.array([1, 2], dtype=np.int32), 2: [True, False],
        3: pd.Categorical([1, 2]),
    })
    yield "frame", frame
    yield "series", frame[0]
    yield "index", pd.Index([3, 1])
    yield "numpy scalars", [np.float32(1.5), np.int64(3), np.bool_(True)]
    yield "random states", [np.random.RandomState(0), np.random.default_rng(0)]


def referenced_globals(data: bytes) -> set[tuple[str, str]]:
    """Every ``(module, name)`` the pickle ``data`` makes the unpickler look up (it is
    unpickled: use only on data this process wrote)."""

    class Recorder(pickle.Unpickler):
        seen: set[tuple[str, str]]

        def find_class(self, module: str, name: str) -> Any:
            self.seen.add((module, name))
            return super().find_class(module, name)

    recorder = Recorder(io.BytesIO(data))
    recorder.seen = set()
    recorder.load()
    return recorder.seen


# ------------------------------------------------------------------ hostile pickles


@dataclass(frozen=True)
class Payload:
    """A pickle that does harm when loaded by plain ``pickle.loads``.

    Attributes:
        label: What it tries.
        data: The bytes.
        names: The global the loader must name when refusing it.
        live: Whether plain ``pickle.loads`` creates the marker (a test checks it).
    """

    label: str
    data: bytes
    names: str
    live: bool = False


def short_text(text: str) -> bytes:
    """SHORT_BINUNICODE of ``text``."""
    raw = text.encode()
    return b"\x8c" + bytes([len(raw)]) + raw


def stack_global(module: str, name: str) -> bytes:
    """STACK_GLOBAL of ``module`` and ``name``."""
    return short_text(module) + short_text(name) + b"\x93"


def _call(callable_: bytes, *args: str) -> bytes:
    """``callable(*args)`` with string arguments, as REDUCE."""
    return callable_ + b"(" + b"".join(short_text(a) for a in args) + b"tR"


def protocol4(body: bytes) -> bytes:
    """``body`` as a whole protocol 4 pickle."""
    return b"\x80\x04" + body + b"."


def hand_built(marker: Path) -> list[Payload]:
    """Gadgets built opcode by opcode; each tries to create ``marker``."""
    target = str(marker)
    shell = f"touch {target}"
    argv = b"](" + short_text("touch") + short_text(target) + b"e"  # ["touch", target]
    popen = stack_global("subprocess", "Popen")
    return [
        Payload("dotted name through a trusted module (subprocess.Popen)",
                protocol4(stack_global("assay.registry.lineage", "subprocess.Popen")
                          + b"(" + argv + b"tR"),
                "assay.registry.lineage:subprocess.Popen", live=True),
        Payload("dotted name through NumPy (numpy.os.system)",
                protocol4(_call(stack_global("numpy", "os.system"), shell)), "numpy:os.system"),
        Payload("dotted name through scikit-learn to runpy",
                protocol4(_call(stack_global("sklearn", "utils.fixes.runpy.run_path"), target)),
                "sklearn:utils.fixes.runpy.run_path"),
        Payload("__reduce__ to os.system",
                protocol4(_call(stack_global("os", "system"), shell)), "os:system", live=True),
        Payload("__reduce__ to posix.system (what pickle writes for os.system)",
                pickle.dumps(_Reduce(os.system, (shell,)), protocol=2), "posix:system",
                live=True),
        Payload("protocol 0 GLOBAL opcode to os.system",
                b"cos\nsystem\n(V" + shell.encode() + b"\ntR.", "os:system", live=True),
        Payload("INST opcode (protocol 0 class call) of subprocess.Popen",
                b"((Vtouch\nV" + target.encode() + b"\nlisubprocess\nPopen\n.",
                "subprocess:Popen", live=True),
        Payload("subprocess.Popen called",
                protocol4(popen + b"(" + argv + b"tR"), "subprocess:Popen", live=True),
        Payload("subprocess.Popen by NEWOBJ",
                protocol4(popen + argv + b"\x85\x81"), "subprocess:Popen"),
        Payload("builtins.getattr to reach os.system",
                protocol4(_call(stack_global("builtins", "getattr"), "os", "system")),
                "builtins:getattr"),
        Payload("builtins.eval",
                protocol4(_call(stack_global("builtins", "eval"),
                                f"__import__('os').system({shell!r})")),
                "builtins:eval", live=True),
        Payload("builtins.__import__",
                protocol4(_call(stack_global("builtins", "__import__"), "os")),
                "builtins:__import__"),
        Payload("importlib.import_module",
                protocol4(_call(stack_global("importlib", "import_module"), "os")),
                "importlib:import_module"),
        Payload("ctypes.CDLL of libc",
                protocol4(_call(stack_global("ctypes", "CDLL"), "libc.so.6")), "ctypes:CDLL"),
        Payload("numpy.ctypeslib.load_library",
                protocol4(_call(stack_global("numpy.ctypeslib", "load_library"), "libc", "/lib")),
                "numpy.ctypeslib:load_library"),
        Payload("numpy.load of a second file",
                protocol4(_call(stack_global("numpy", "load"), target)), "numpy:load"),
        Payload("pandas.read_pickle of a second file",
                protocol4(_call(stack_global("pandas", "read_pickle"), target)),
                "pandas:read_pickle"),
        Payload("pandas' read_csv where it is defined",
                protocol4(_call(stack_global("pandas.io.parsers.readers", "read_csv"), target)),
                "pandas.io.parsers.readers:read_csv"),
        Payload("scipy.io.loadmat",
                protocol4(_call(stack_global("scipy.io", "loadmat"), target)), "scipy.io:loadmat"),
        Payload("copyreg._reconstructor with subprocess.Popen as the base",
                protocol4(stack_global("copyreg", "_reconstructor") + b"("
                          + stack_global("sklearn.pipeline", "Pipeline") + popen + argv + b"tR"),
                "subprocess:Popen"),
        Payload("copyreg._reconstructor with an allowed class as the base (its __init__ runs)",
                protocol4(stack_global("copyreg", "_reconstructor") + b"("
                          + stack_global("sklearn.pipeline", "Pipeline")
                          + stack_global("sklearn.preprocessing._data", "StandardScaler")
                          + b"NtR"),
                "copyreg:_reconstructor"),
        Payload("copyreg._reconstructor of something that is not a class",
                protocol4(stack_global("copyreg", "_reconstructor") + b"("
                          + stack_global("numpy._core.multiarray", "_reconstruct")
                          + stack_global("builtins", "object") + b"NtR"),
                "copyreg:_reconstructor"),
        Payload("copyreg.__newobj__ of subprocess.Popen",
                protocol4(stack_global("copyreg", "__newobj__") + b"(" + popen + argv + b"tR"),
                "copyreg:__newobj__"),
        Payload("copyreg.add_extension registering os.system",
                protocol4(_call(stack_global("copyreg", "add_extension"), "os", "system")),
                "copyreg:add_extension"),
        Payload("EXT1 opcode (copyreg's extension registry)",
                protocol4(b"\x82\x7f(" + short_text(shell) + b"tR"), "extension code 127"),
        Payload("EXT2 opcode",
                protocol4(b"\x83" + struct.pack("<H", 0x1234) + b"(" + short_text(shell) + b"tR"),
                "extension code 4660"),
        Payload("EXT4 opcode",
                protocol4(b"\x84" + struct.pack("<i", 0x123456) + b"(" + short_text(shell)
                          + b"tR"),
                "extension code 1193046"),
        Payload("persistent id (BINPERSID)", protocol4(short_text(shell) + b"Q"),
                "a persistent id"),
        Payload("persistent id (PERSID)", b"P" + shell.encode() + b"\n.", "a persistent id"),
        Payload("BUILD setting an attribute on an allowed class (monkeypatching it)",
                patch_class_payload(), "sklearn.compose._column_transformer:make_column_selector"),
    ]


def payload(marker: Path, label: str) -> bytes:
    """The bytes of the hand-built payload called ``label``."""
    return next(p.data for p in hand_built(marker) if p.label == label)


def patch_class_payload() -> bytes:
    """make_column_selector with BUILD state ``(None, {"__call__": dict})``: without a
    ``__setstate__``, BUILD sets the attribute on the class itself."""
    return protocol4(stack_global("sklearn.compose._column_transformer", "make_column_selector")
                     + b"N}" + short_text("__call__") + stack_global("builtins", "dict")
                     + b"s\x86b")


@dataclass
class _Reduce:
    """Pickles as ``function(*args)``."""

    function: Any
    args: tuple[Any, ...]

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return self.function, self.args
