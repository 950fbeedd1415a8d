from __future__ import annotations

import enum
import hashlib
import json
import math
import re
from typing import Any

import numpy as np
import pytest

from assay.compiler.fingerprint import canonical_json, fingerprint_of, normalise


def test_key_order_does_not_matter() -> None:
    assert fingerprint_of({"a": 1, "b": {"x": 1, "y": 2}}) == fingerprint_of(
        {"b": {"y": 2, "x": 1}, "a": 1}
    )


def test_values_of_different_types_differ() -> None:
    prints = {fingerprint_of({"v": v}) for v in (1, 1.0, True, "1", [1], None)}
    assert len(prints) == 6


def test_tuples_are_lists_and_sets_are_sorted() -> None:
    assert canonical_json((1, 2)) == canonical_json([1, 2])
    assert canonical_json({3, 1, 2}) == "[1,2,3]"


def test_numpy_scalars_are_plain_numbers() -> None:
    assert canonical_json({"n": np.int64(3), "x": np.float32(0.5)}) == '{"n":3,"x":0.5}'


def test_nan_and_inf_have_a_stable_form() -> None:
    assert canonical_json([math.nan, math.inf]) == canonical_json([float("nan"), float("inf")])


def test_objects_without_a_deterministic_form_are_refused() -> None:
    with pytest.raises(TypeError, match=re.escape("cannot fingerprint a value of type object")):
        normalise({"x": object()})
    with pytest.raises(TypeError, match="non-string keys"):
        normalise({1: "a"})


def test_fingerprint_is_sha256_hex() -> None:
    assert re.fullmatch(r"[0-9a-f]{64}", fingerprint_of({"a": 1}))


# The canonical form is what stored fingerprints were computed from: these pin it, so
# that any change to it (separators, key order, how a value is written) is deliberate.
REPRESENTATIVE = {
    "estimator": {"_target_": "sklearn.linear_model.LogisticRegression", "C": 1.0,
                  "max_iter": 1000, "penalty": None, "fit_intercept": True},
    "features": ["age", ("income", 2)],
    "rates": (0.5, -1e-5, 3),
    "nested": {"b": {"y": 2, "x": [1, {"k": False}]}, "a": "ü"},
    "tags": frozenset({"beta", "alpha"}),
    "bad": math.inf,
}
GOLDEN_JSON = (
    '{"bad":{"__float__":"inf"},"estimator":{"C":1.0,"_target_":"sklearn.linear_model.'
    'LogisticRegression","fit_intercept":true,"max_iter":1000,"penalty":null},'
    '"features":["age",["income",2]],"nested":{"a":"\\u00fc","b":{"x":[1,{"k":false}],"y":2}},'
    '"rates":[0.5,-1e-05,3],"tags":["alpha","beta"]}'
)
GOLDEN_SHA256 = "793c5af902e75bf6aa59bb01541b2d8419e4c4d5660519d5b64d1b873e802b3f"


def test_the_canonical_form_of_a_representative_parameter_set_is_pinned() -> None:
    assert canonical_json(REPRESENTATIVE) == GOLDEN_JSON
    assert fingerprint_of(REPRESENTATIVE) == GOLDEN_SHA256
    assert fingerprint_of(normalise(REPRESENTATIVE), normalised=True) == GOLDEN_SHA256
    assert hashlib.sha256(GOLDEN_JSON.encode()).hexdigest() == GOLDEN_SHA256


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (["features", 0], "height"),
        (["features", 1], ("income", 3)),
        (["rates", 2], 3.5),
        (["nested", "b", "x", 1], {"k": True}),
        (["nested", "b", "x", 0], True),  # a bool is not the int 1
    ],
)
def test_a_changed_list_item_changes_the_fingerprint(path: list[Any], value: Any) -> None:
    changed = json.loads(GOLDEN_JSON)  # the same parameters, as plain lists and dicts
    assert fingerprint_of(changed) == GOLDEN_SHA256
    node = changed
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    assert fingerprint_of(changed) != GOLDEN_SHA256


class Colour(enum.IntEnum):
    RED = 1


class Mode(enum.StrEnum):
    FAST = "fast"


class Shouting(str):
    def __str__(self) -> str:
        return self.upper()


@pytest.mark.parametrize(
    ("value", "plain"),
    [(Colour.RED, 1), (Mode.FAST, "fast"), (Shouting("quiet"), "quiet")],
)
def test_subclasses_of_plain_types_are_their_plain_values(value: Any, plain: Any) -> None:
    normalised = normalise({"v": value})["v"]
    assert normalised == plain and type(normalised) is type(plain)
    assert canonical_json({"v": value}) == canonical_json({"v": plain})
    assert fingerprint_of({"v": [value]}) == fingerprint_of({"v": [plain]})


class Kind(enum.Enum):
    A = object()


def test_a_plain_enum_has_no_deterministic_form() -> None:
    with pytest.raises(TypeError, match=re.escape("cannot fingerprint a value of type Kind")):
        normalise([Kind.A])
