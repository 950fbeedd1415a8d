"""Values off normalise()'s fast path: subclasses of lists and tuples, sets, odd mapping keys
and objects with no deterministic form, each with its exact canonical form or message."""

from __future__ import annotations

import re
from collections import UserList, namedtuple

import pytest

from assay.compiler.fingerprint import canonical_json, normalise

Point = namedtuple("Point", ["x", "y"])


class Steps(UserList):
    """Not a list subclass: goes nowhere special, and must be refused."""


class Layers(list):
    """A list subclass: normalised item by item like a list."""


def test_a_tuple_subclass_is_normalised_item_by_item() -> None:
    assert normalise(Point({"b": 2, "a": 1}, (3, 4))) == [{"a": 1, "b": 2}, [3, 4]]


def test_a_list_subclass_is_normalised_item_by_item() -> None:
    assert normalise(Layers([{"y": 1, "x": 2}, Point(1, 2)])) == [{"x": 2, "y": 1}, [1, 2]]
    assert canonical_json({"layers": Layers([64, 32])}) == '{"layers":[64,32]}'
    assert canonical_json(Layers([1])) != canonical_json(Layers([2]))


def test_sets_of_mixed_types_are_ordered_by_their_json_text() -> None:
    assert normalise({1, "a", (2, 3)}) == ["a", 1, [2, 3]]  # '"a"' < '1' < '[2,3]'
    assert normalise(frozenset({3, 1, 2})) == [1, 2, 3]


NON_STRING_KEYS = f"^{re.escape('cannot fingerprint a mapping with non-string keys')}$"


def test_mixed_key_types_are_refused_by_message() -> None:
    with pytest.raises(TypeError, match=NON_STRING_KEYS):
        normalise({1: "a", "b": 2})
    with pytest.raises(TypeError, match=NON_STRING_KEYS):
        normalise({1: "a", 2: "b"})


def test_an_object_is_refused_naming_its_type() -> None:
    with pytest.raises(TypeError, match="^" + re.escape(
            "cannot fingerprint a value of type Steps; parameters must be plain data "
            "(numbers, strings, booleans, lists, mappings)") + "$"):
        normalise(Steps([1]))
