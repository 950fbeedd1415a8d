from __future__ import annotations

import math
import re

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
