"""The allow-list loader: what it trusts, what a project adds, and that the list stays exact."""

from __future__ import annotations

import importlib
import inspect
import io
import os
import pickle
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

from assay.errors import ConfigError
from assay.store.codecs import EstimatorCodec
from assay.store.safe_pickle import ALLOWED, Allowance, UnsafeArtifactError, allowing, dumps, loads
from tests.unit.pickle_payloads import (
    frame_objects,
    patch_class_payload,
    referenced_globals,
    shipped_fitted,
)

# What a harmless reconstruction helper may be called, besides a class: everything else
# in the table must be a class.
HELPERS = {
    ("copyreg", "_reconstructor"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "scalar"), ("numpy._core.numeric", "_frombuffer"),
    ("numpy.core.multiarray", "_reconstruct"), ("numpy.core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"), ("numpy.random._pickle", "__bit_generator_ctor"),
    ("numpy.random._pickle", "__generator_ctor"), ("numpy.random._pickle", "__randomstate_ctor"),
    ("pandas._libs.internals", "_unpickle_block"), ("pandas.core.indexes.base", "_new_Index"),
}
DANGEROUS_MODULES = re.compile(
    r"^(os|posix|nt|subprocess|importlib|ctypes|runpy|pickle|_pickle|marshal|shutil|socket|sys|"
    r"io|_io|pty|code|codecs|_codecs|webbrowser|multiprocessing|threading|tempfile|urllib|http|"
    r"numpy\.ctypeslib|numpy\.lib\.npyio|pandas\.io|scipy\.io|joblib|dill|cloudpickle|torch|"
    r"pyarrow)(\.|$)")
DANGEROUS_WORDS = re.compile(r"read|load|open|save|write|import|exec|eval|system|popen|spawn|"
                             r"call|getattr|setattr|ctypes|library|file|url|path", re.IGNORECASE)


class Doubler:
    """A project's own transformer class, outside assay's list."""

    def __init__(self, factor: float = 2.0) -> None:
        self.factor = factor


def make_doubler() -> Doubler:
    """A function a config could name as a ``_target_``."""
    return Doubler()


DOUBLER = f"{__name__}:Doubler"


def test_the_table_covers_every_shipped_model_kind_and_each_loads_back() -> None:
    needed: dict[tuple[str, str], str] = {}
    for label, fitted in [*shipped_fitted(), *frame_objects()]:
        data = dumps(fitted)
        for pair in referenced_globals(data):
            needed.setdefault(pair, label)
        assert type(loads(data)) is type(fitted), label
    missing = {pair: label for pair, label in needed.items() if pair not in ALLOWED}
    assert missing == {}, f"shipped kinds name globals the loader refuses: {missing}"


def test_loaded_models_predict_what_the_fitted_ones_did() -> None:
    rows = np.random.default_rng(3).normal(size=(5, 9))  # what onehot_standard makes
    for label, fitted in shipped_fitted():
        if not label.startswith("model="):
            continue
        data, meta = EstimatorCodec().dumps(fitted)
        assert meta == {"type": f"{type(fitted).__module__}.{type(fitted).__qualname__}"}
        again = EstimatorCodec().loads(data, meta)
        assert np.allclose(again.predict(rows), fitted.predict(rows)), label


@pytest.mark.parametrize(("module", "name"), sorted(ALLOWED))
def test_no_entry_reads_files_loads_libraries_or_imports(module: str, name: str) -> None:
    assert not DANGEROUS_MODULES.match(module)
    assert "." not in name  # no entry reaches through attributes
    with warnings.catch_warnings():  # numpy.core: NumPy 1's name, deprecated in NumPy 2
        warnings.simplefilter("ignore", DeprecationWarning)
        found = getattr(importlib.import_module(module), name)
    if (module, name) in HELPERS or name.startswith("__pyx_unpickle_"):
        assert not DANGEROUS_WORDS.search(name.replace("unpickle", "")), name
        return
    assert inspect.isclass(found), f"{module}:{name} is not a class"
    assert not DANGEROUS_WORDS.search(name), name
    assert not issubclass(found, io.IOBase | os.PathLike)


def test_the_dotted_name_of_the_report_is_refused_and_runs_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    payload = (b"\x80\x04\x8c\x16assay.registry.lineage\x8c\x10subprocess.Popen\x93"
               b"((\x8c\x05touch\x8c\x05PWNEDltR.")
    with pytest.raises(UnsafeArtifactError, match=re.escape(
            "it names assay.registry.lineage:subprocess.Popen, which assay does not load from "
            "a stored artifact (a dotted name reaches through the module's attributes")):
        loads(payload)
    assert not (tmp_path / "PWNED").exists()


def test_a_project_class_loads_only_when_the_project_allows_it() -> None:
    data = dumps({"custom": Doubler(3.0)})
    with pytest.raises(UnsafeArtifactError) as refused:
        loads(data)
    assert f"it names {DOUBLER}" in str(refused.value)
    assert f'add "{DOUBLER}" to security.allow_pickle' in str(refused.value)
    assert loads(data, Allowance.parse([DOUBLER]))["custom"].factor == 3.0
    with allowing(Allowance.parse([DOUBLER])):
        assert loads(data)["custom"].factor == 3.0
    with pytest.raises(UnsafeArtifactError):  # the block ended: trusted no more
        loads(data)


def test_a_project_entry_must_name_what_its_module_defines() -> None:
    from tests.unit import pickle_payloads

    # pickle_payloads imports os and struct: its entries may not reach them.
    reach_os = (b"\x80\x04" + pickle_payloads.stack_global("tests.unit.pickle_payloads", "os")
                + b".")
    reach_pack = (b"\x80\x04" + pickle_payloads.stack_global("tests.unit.pickle_payloads",
                                                               "struct") + b".")
    allowance = Allowance.parse(["tests.unit.pickle_payloads:os",
                                 "tests.unit.pickle_payloads:struct",
                                 "tests.unit.pickle_payloads:Payload"])
    for data in (reach_os, reach_pack):
        with pytest.raises(UnsafeArtifactError, match=re.escape("it is not a class or function")):
            loads(data, allowance)
    reexport = (b"\x80\x04" + pickle_payloads.stack_global("tests.unit.pickle_payloads",
                                                             "dataclass") + b".")
    with pytest.raises(UnsafeArtifactError, match=re.escape(
            "it names tests.unit.pickle_payloads:dataclass, which assay does not load from a "
            "stored artifact (it is not defined there but imported from dataclasses)")):
        loads(reexport, Allowance.parse(["tests.unit.pickle_payloads:dataclass"]))
    payload = pickle_payloads.Payload("x", b"", "y")
    assert loads(dumps(payload), allowance) == payload


def test_a_class_the_config_names_as_a_target_is_trusted_under_its_own_name() -> None:
    from sklearn.svm import SVC

    data = dumps(SVC().fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1]))
    with pytest.raises(UnsafeArtifactError, match=re.escape("sklearn.svm._classes:SVC")):
        loads(data)
    # The config names the re-export; the pickle names where the class is defined.
    assert loads(data, Allowance.parse(targets=["sklearn.svm.SVC"])).predict([[3.0]]) == [1]
    # A function the config names (a factory) trusts nothing.
    factory = Allowance.parse(targets=[f"{__name__}.make_doubler", "no.such.module.Thing"])
    with pytest.raises(UnsafeArtifactError, match=re.escape(DOUBLER)):
        loads(dumps(Doubler()), factory)
    assert loads(dumps(Doubler()), Allowance.parse(targets=[f"{__name__}.Doubler"])).factor == 2.0


def test_what_an_artifact_records_extends_nothing() -> None:
    # Older versions trusted the packages listed in the manifest; the codec ignores them.
    data = dumps(Doubler())
    with pytest.raises(UnsafeArtifactError, match=re.escape(DOUBLER)):
        EstimatorCodec().loads(data, {"packages": ["tests"], "allowance": [DOUBLER],
                                      "type": "tests.unit.test_safe_pickle.Doubler"})


@pytest.mark.parametrize(("entries", "message"), [
    (["mypkg.Model"], "'mypkg.Model' is not a module:qualname pair"),
    (["mypkg:Model", "os:system"], "'os:system' cannot be allowed: os runs commands"),
    (["subprocess:Popen"], "'subprocess:Popen' cannot be allowed"),
    (["numpy.ctypeslib:load_library"], "'numpy.ctypeslib:load_library' cannot be allowed"),
    (["builtins:getattr"], "'builtins:getattr' cannot be allowed"),
    (["pandas.io.pickle:read_pickle"], "'pandas.io.pickle:read_pickle' cannot be allowed"),
    (["operator:attrgetter"], "'operator:attrgetter' cannot be allowed"),
    (["functools:partial"], "'functools:partial' cannot be allowed"),
    (["osmosis:Model", "os.path:join"], "'os.path:join' cannot be allowed"),
])
def test_the_setting_refuses_malformed_and_dangerous_entries(entries: list[str],
                                                             message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)) as raised:
        Allowance.parse(entries)
    assert raised.value.problems[0].key == f"security.allow_pickle[{len(entries) - 1}]"


def test_old_protocol_pickles_of_allowed_classes_load() -> None:
    from sklearn.compose import make_column_selector

    selector = make_column_selector(pattern="^a", dtype_include="number")
    # Protocols 0 and 1 rebuild it with copyreg._reconstructor (base ``object``). Python 2
    # module names (fix_imports) are not mapped: assay never wrote them.
    for protocol in (0, 1, 2, 4, 5):
        again = loads(pickle.dumps(selector, protocol=protocol, fix_imports=False))
        assert (type(again), again.pattern, again.dtype_include) == (
            make_column_selector, "^a", "number"), protocol


def test_a_build_that_patches_an_allowed_class_is_undone_and_refused() -> None:
    from sklearn.compose import make_column_selector

    before = dict(vars(make_column_selector))
    payload = patch_class_payload()
    with pytest.raises(UnsafeArtifactError, match=re.escape(
            "sklearn.compose._column_transformer:make_column_selector, which assay does not load "
            "from a stored artifact (it sets attributes of the class or function itself")):
        loads(payload)
    assert dict(vars(make_column_selector)) == before


def test_a_truncated_pickle_is_an_unpickling_error_naming_the_source() -> None:
    data = dumps(np.arange(3))
    with pytest.raises(pickle.UnpicklingError, match=re.escape("cannot unpickle model.pkl")):
        loads(data[:-5], source="model.pkl")


class _Reduced:
    """Pickles as ``function(*args)`` with BUILD ``state``."""

    def __init__(self, function: object, args: tuple[object, ...], state: object = None) -> None:
        self.function, self.args, self.state = function, args, state

    def __reduce__(self) -> tuple[object, ...]:
        return (self.function, self.args) if self.state is None else (
            self.function, self.args, self.state)


@pytest.mark.parametrize(("reduced", "message"), [
    # Raw bytes read as object pointers would be memory corruption: NumPy refuses them.
    (_Reduced(np._core.multiarray._reconstruct, (np.ndarray, (0,), b"b"),
              (1, (2,), np.dtype("O"), False, b"\x41" * 16)), "object pickle not returning list"),
    (_Reduced(np._core.multiarray.scalar, (np.dtype("O"), b"\x41" * 8)),
     "Cannot unpickle a scalar with object dtype"),
    # A buffer shorter than the shape it claims.
    (_Reduced(np._core.numeric._frombuffer, (b"\x00" * 8, np.dtype("f8"), (1000,), "C")),
     "cannot reshape array of size 1 into shape (1000,)"),
])
def test_allowed_helpers_fed_lies_fail_cleanly(reduced: _Reduced, message: str) -> None:
    with pytest.raises(pickle.UnpicklingError, match=re.escape(message)):
        loads(pickle.dumps(reduced, protocol=4))
