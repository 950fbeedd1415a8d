"""The loader's refusals in detail: the exact messages and hints, how a project's entries
are parsed, copyreg's ``_reconstructor`` checks, extension codes and persistent ids, and
that a BUILD patching a looked-up class or function is undone however it is done."""

from __future__ import annotations

import pickle
import re
import struct
from collections import OrderedDict
from collections.abc import Iterator

import numpy as np
import pytest
from sklearn.compose import make_column_selector

from assay.errors import ConfigError, Problem
from assay.store.safe_pickle import (
    NOTHING_EXTRA,
    Allowance,
    UnsafeArtifactError,
    allowing,
    dumps,
    loads,
)
from tests.unit.pickle_payloads import protocol4, short_text, stack_global

HERE = __name__
WHY_NOT_ALLOWED = "only what assay's model kinds need and what the project allows is loaded"
MCS = ("sklearn.compose._column_transformer", "make_column_selector")


class Level(int):
    """A project's int subclass: protocols 0 and 1 rebuild it with copyreg._reconstructor."""


class Outer:
    """A project class with a nested class, allowed as ``Outer.Inner``."""

    class Inner:
        def __init__(self) -> None:
            self.size = 4


def scaled(value: float = 1.0, *, factor: float = 2.0) -> float:
    """A project function an entry may allow; its defaults are process-wide state."""
    return value * factor


def tagged() -> None:
    """A project function carrying attributes, one of them None."""


tagged.__dict__.update(note=None, kind="helper")

LOOKUP = {}.get  # a module-level name that is neither a class nor a function


class _Stubborn(type):
    """A metaclass that lets one attribute be written and then refuses every change."""

    def __setattr__(cls, name: str, value: object) -> None:
        if cls.__dict__.get("written"):
            raise cls.__dict__["error"](f"{cls.__name__}.{name} was written once already")
        super().__setattr__(name, value)
        super().__setattr__("written", True)

    def __delattr__(cls, name: str) -> None:
        raise cls.__dict__["error"](f"{cls.__name__}.{name} cannot be deleted")


class StubbornAttribute(metaclass=_Stubborn):
    error = AttributeError
    written = False


class StubbornType(metaclass=_Stubborn):
    error = TypeError
    written = False


def _float(value: float) -> bytes:
    return b"G" + struct.pack(">d", value)


def _patch(module: str, name: str, state: bytes) -> bytes:
    """``module.name`` looked up, then BUILD with ``(None, {state})`` (set on it as
    attributes: it has no ``__setstate__``); ``state`` is the dict's key/value opcodes."""
    return stack_global(module, name) + b"N}" + state + b"\x86b"


def _refusal(what: str, why: str, source: str = "the pickle") -> str:
    return (f"refusing to load {source}: it names {what}, which assay does not load from a "
            f"stored artifact ({why})")


def _hint(what: str) -> str:
    return (f'if {what} is a class of your own that the model keeps, add "{what}" to '
            "security.allow_pickle in the project config; if not, assay did not write this "
            "file for this project: do not load it")


# ------------------------------------------------------------------ the project's entries


def test_every_bad_entry_is_reported_with_its_index_and_the_good_ones_are_kept_apart() -> None:
    with pytest.raises(ConfigError) as raised:
        Allowance.parse(["mypkg.Model", "good.models:Model", "os:system", "also.good:Thing"])
    assert raised.value.problems == (
        Problem("'mypkg.Model' is not a module:qualname pair", key="security.allow_pickle[0]",
                expected="the module and the class name of a global the pickle names, such as "
                         "'mypackage.models:MyEstimator'",
                hint="the refusal message of the loader names the pair to add"),
        Problem("'os:system' cannot be allowed: os runs commands, loads libraries, imports code "
                "or reads files", key="security.allow_pickle[2]",
                hint="allow only your own estimator classes"),
    )


def test_a_second_malformed_entry_after_a_first_is_reported_too() -> None:
    with pytest.raises(ConfigError) as raised:
        Allowance.parse(["a:b:c", "no-pair", "subprocess:run", "ctypes:CDLL"],
                        key="extra.allow")
    assert [(p.message.split(" ", 1)[0], p.key) for p in raised.value.problems] == [
        ("'a:b:c'", "extra.allow[0]"), ("'no-pair'", "extra.allow[1]"),
        ("'subprocess:run'", "extra.allow[2]"), ("'ctypes:CDLL'", "extra.allow[3]")]


def test_parsed_entries_and_targets_are_kept_as_given() -> None:
    class Dotted:
        def __str__(self) -> str:
            return "mypkg.models.Model"

    allowance = Allowance.parse(["zeta.models:Late", "alpha:Outer.Inner", "alpha:Early"],
                                targets=[Dotted(), "sklearn.svm.SVC"])
    assert allowance.pairs == {("zeta.models", "Late"), ("alpha", "Outer.Inner"), ("alpha", "Early")}
    assert allowance.targets == {"mypkg.models.Model", "sklearn.svm.SVC"}
    assert allowance.entries() == ["alpha:Early", "alpha:Outer.Inner", "zeta.models:Late"]
    assert Allowance.parse() == NOTHING_EXTRA and NOTHING_EXTRA.entries() == []


def test_a_nested_class_the_project_allows_is_followed_attribute_by_attribute() -> None:
    data = dumps(Outer.Inner())
    assert loads(data, Allowance.parse([f"{HERE}:Outer.Inner"])).size == 4
    with pytest.raises(UnsafeArtifactError) as refused:  # dotted and not allowed: no hint
        loads(data)
    assert str(refused.value) == _refusal(
        f"{HERE}:Outer.Inner",
        "a dotted name reaches through the module's attributes to anything it imported")
    assert refused.value.hint is None


def test_an_allowed_entry_that_names_nothing_there_is_refused() -> None:
    for module, name in ((HERE, "Missing"), ("no_such_module_for_assay", "Thing")):
        data = protocol4(stack_global(module, name))
        with pytest.raises(UnsafeArtifactError) as refused:
            loads(data, Allowance.parse([f"{module}:{name}"]), source="m.pkl")
        assert str(refused.value).startswith(_refusal(
            f"{module}:{name}", "it does not name a class or function there", "m.pkl"))


def test_an_allowed_entry_that_is_not_a_class_or_function_is_refused() -> None:
    data = protocol4(stack_global(HERE, "LOOKUP"))
    with pytest.raises(UnsafeArtifactError) as refused:
        loads(data, Allowance.parse([f"{HERE}:LOOKUP"]))
    assert str(refused.value).startswith(_refusal(f"{HERE}:LOOKUP", "it is not a class or function"))


# ------------------------------------------------------------------ messages and hints


def test_a_refused_global_is_named_with_the_reason_and_how_to_allow_it() -> None:
    with pytest.raises(UnsafeArtifactError) as refused:
        loads(protocol4(stack_global("os", "system")))
    assert refused.value.hint == _hint("os:system")
    assert str(refused.value) == f"{_refusal('os:system', WHY_NOT_ALLOWED)}\n  hint: {_hint('os:system')}"
    assert refused.value.exit_code == 2


def test_a_name_with_a_colon_and_dots_gets_no_hint_to_allow_it() -> None:
    with pytest.raises(UnsafeArtifactError) as refused:
        loads(protocol4(stack_global("mymodels", "helpers.x:Model")))
    assert refused.value.hint is None
    assert "it names mymodels:helpers.x:Model, which" in str(refused.value)


def test_a_persistent_id_is_refused_without_a_hint() -> None:
    with pytest.raises(UnsafeArtifactError) as refused:
        loads(protocol4(short_text("file:///etc/passwd") + b"Q"), source="model.pkl")
    assert str(refused.value) == _refusal("a persistent id", "assay never writes them", "model.pkl")
    assert refused.value.hint is None


def test_an_extension_code_copyreg_lacks_is_refused_naming_the_code() -> None:
    with pytest.raises(UnsafeArtifactError) as refused:
        loads(b"\x80\x02\x82\xc9.")
    assert str(refused.value) == _refusal("extension code 201", WHY_NOT_ALLOWED)
    assert refused.value.hint is None
    assert refused.value.__suppress_context__


def test_a_pickle_that_breaks_midway_is_an_unpickling_error_with_its_cause() -> None:
    data = dumps(np.arange(3))
    with pytest.raises(pickle.UnpicklingError) as raised:
        loads(data[:-5], source="model.pkl")
    assert str(raised.value) == "cannot unpickle model.pkl: UnpicklingError: pickle data was truncated"
    assert isinstance(raised.value.__cause__, pickle.UnpicklingError)
    with pytest.raises(pickle.UnpicklingError) as raised:  # an allowed class given bad arguments
        loads(protocol4(stack_global("builtins", "int") + short_text("x") + b"\x85R"))
    assert str(raised.value) == (
        "cannot unpickle the pickle: ValueError: invalid literal for int() with base 10: 'x'")
    assert isinstance(raised.value.__cause__, ValueError)


def test_dumps_writes_protocol_5() -> None:
    data = dumps(np.arange(3))
    assert data[:2] == b"\x80\x05"
    assert loads(data).tolist() == [0, 1, 2]


def test_an_explicit_allowance_wins_over_the_one_set_around_the_load() -> None:
    data = dumps(Outer.Inner())
    with allowing(NOTHING_EXTRA):
        assert loads(data, Allowance.parse([f"{HERE}:Outer.Inner"])).size == 4
    with allowing(Allowance.parse([f"{HERE}:Outer.Inner"])):
        assert loads(data).size == 4


# ------------------------------------------------------------------ copyreg._reconstructor


def _reconstructor_call(cls: tuple[str, str], base: tuple[str, str], state: bytes = b"N") -> bytes:
    return protocol4(stack_global("copyreg", "_reconstructor") + b"(" + stack_global(*cls)
                     + stack_global(*base) + state + b"tR")


def test_old_protocols_rebuild_an_allowed_subclass_of_a_builtin_with_its_value() -> None:
    allowance = Allowance.parse([f"{HERE}:Level"])
    for protocol in (0, 1):
        again = loads(pickle.dumps(Level(7), protocol=protocol, fix_imports=False), allowance)
        assert (type(again), again) == (Level, 7), protocol
    rebuilt = loads(_reconstructor_call(("collections", "OrderedDict"), ("builtins", "dict"),
                                        b"}" + short_text("a") + b"K\x01s"))
    assert (type(rebuilt), rebuilt) == (OrderedDict, {"a": 1})


@pytest.mark.parametrize(("cls", "base", "shown"), [
    # A base outside the plain builtin types, even one the class derives from.
    (("collections", "OrderedDict"), ("collections", "OrderedDict"),
     "(<class 'collections.OrderedDict'>, <class 'collections.OrderedDict'>)"),
    # A class that does not derive from the base.
    (("collections", "OrderedDict"), ("builtins", "list"),
     "(<class 'collections.OrderedDict'>, <class 'list'>)"),
    # An allowed helper function in the place of the class.
    (("numpy._core.multiarray", "scalar"), ("builtins", "object"),
     "(<built-in function scalar>, <class 'object'>)"),
])
def test_the_reconstructor_refuses_a_class_or_base_it_cannot_trust(
        cls: tuple[str, str], base: tuple[str, str], shown: str) -> None:
    with pytest.raises(UnsafeArtifactError) as refused:
        loads(_reconstructor_call(cls, base))
    why = f"called with a class or base that is not allowed {shown}"
    assert str(refused.value).startswith(_refusal("copyreg:_reconstructor", why) + "\n"), str(refused.value)


# ------------------------------------------------------------------ patched classes and functions


def test_a_new_attribute_set_on_an_allowed_class_is_removed_and_refused() -> None:
    payload = protocol4(_patch(*MCS, short_text("injected") + short_text("x") + b"s"))
    with pytest.raises(UnsafeArtifactError, match=re.escape(
            f"it names {':'.join(MCS)}, which assay does not load from a stored artifact (it sets "
            "attributes of the class or function itself, which would change it for the whole process)")):
        loads(payload)
    assert "injected" not in vars(make_column_selector)


def test_a_patch_is_found_after_other_untouched_lookups_and_a_second_lookup() -> None:
    before = dict(vars(make_column_selector))
    patch = _patch(*MCS, short_text("__call__") + stack_global("builtins", "dict") + b"s")
    for payload in (
            stack_global("builtins", "dict") + b"0" + patch,  # an untouched lookup first
            patch + b"0" + stack_global(*MCS),  # looked up again once patched
    ):
        with pytest.raises(UnsafeArtifactError, match=re.escape(f"it names {':'.join(MCS)}, which")):
            loads(protocol4(payload))
        assert dict(vars(make_column_selector)) == before


@pytest.mark.parametrize("state", [
    short_text("__qualname__") + short_text("hijacked") + b"s",
    short_text("__name__") + short_text("hijacked") + b"s",
])
def test_a_class_name_set_by_a_build_is_put_back_and_refused(state: bytes) -> None:
    before = (make_column_selector.__name__, make_column_selector.__qualname__,
              make_column_selector.__bases__)
    with pytest.raises(UnsafeArtifactError, match=re.escape(f"it names {':'.join(MCS)}, which")):
        loads(protocol4(_patch(*MCS, state)))
    assert (make_column_selector.__name__, make_column_selector.__qualname__,
            make_column_selector.__bases__) == before


class Ancestor:
    """The base of :class:`Descendant`."""


class Stranger:
    """A class a BUILD tries to make :class:`Descendant`'s base."""


class Descendant(Ancestor):
    """An allowed class whose bases a BUILD tries to change."""


def test_bases_set_by_a_build_are_put_back_and_refused() -> None:
    allowance = Allowance.parse([f"{HERE}:Descendant", f"{HERE}:Stranger"])
    state = short_text("__bases__") + stack_global(HERE, "Stranger") + b"\x85s"
    with pytest.raises(UnsafeArtifactError, match=re.escape(f"it names {HERE}:Descendant, which")):
        loads(protocol4(_patch(HERE, "Descendant", state)), allowance)
    assert Descendant.__bases__ == (Ancestor,)


@pytest.mark.parametrize("state", [
    short_text("__defaults__") + b"(" + _float(5.0) + b"ts",
    short_text("__kwdefaults__") + b"}" + short_text("factor") + _float(100.0) + b"ss",
])
def test_the_defaults_of_an_allowed_function_are_put_back_and_refused(state: bytes) -> None:
    allowance = Allowance.parse([f"{HERE}:scaled"])
    assert loads(protocol4(stack_global(HERE, "scaled")), allowance) is scaled
    with pytest.raises(UnsafeArtifactError, match=re.escape(f"it names {HERE}:scaled, which")):
        loads(protocol4(_patch(HERE, "scaled", state)), allowance)
    assert (scaled.__defaults__, scaled.__kwdefaults__, scaled()) == ((1.0,), {"factor": 2.0}, 2.0)


def test_attributes_a_build_clears_from_an_allowed_function_come_back() -> None:
    before = dict(vars(tagged))
    payload = protocol4(_patch(HERE, "tagged", short_text("__dict__") + b"}s"))
    with pytest.raises(UnsafeArtifactError, match=re.escape(f"it names {HERE}:tagged, which")):
        loads(payload, Allowance.parse([f"{HERE}:tagged"]))
    assert vars(tagged) == before == {"note": None, "kind": "helper"}


@pytest.fixture(params=[StubbornAttribute, StubbornType], ids=["AttributeError", "TypeError"])
def stubborn(request: pytest.FixtureRequest) -> Iterator[type]:
    cls: type = request.param
    yield cls
    if "extra" in vars(cls):
        type.__delattr__(cls, "extra")
    type.__setattr__(cls, "written", False)


def test_a_patch_that_cannot_be_undone_is_still_refused(stubborn: type) -> None:
    name = stubborn.__name__
    payload = protocol4(_patch(HERE, name, short_text("extra") + short_text("x") + b"s"))
    with pytest.raises(UnsafeArtifactError, match=re.escape(
            f"it names {HERE}:{name}, which assay does not load from a stored artifact (it sets "
            "attributes")):
        loads(payload, Allowance.parse([f"{HERE}:{name}"]))
