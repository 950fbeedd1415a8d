"""``fingerprint_of`` on components a caller already normalised: the caller builds the outer
mapping itself, so key order and non-finite numbers are still the hash's to settle."""

from __future__ import annotations

import hashlib

import pytest

from assay.compiler.fingerprint import canonical_json, fingerprint_of


def test_outer_key_order_does_not_change_the_fingerprint() -> None:
    first = fingerprint_of({"step": "train", "code": "c1", "params": {"C": 1.0}}, normalised=True)
    second = fingerprint_of({"params": {"C": 1.0}, "code": "c1", "step": "train"}, normalised=True)
    assert first == second


def test_normalised_components_hash_their_canonical_text() -> None:
    components = {"b": [1, 2], "a": {"y": None, "x": "s"}}
    expected = hashlib.sha256(b'{"a":{"x":"s","y":null},"b":[1,2]}').hexdigest()
    assert fingerprint_of(components, normalised=True) == expected
    assert fingerprint_of(components) == expected
    assert canonical_json(components) == '{"a":{"x":"s","y":null},"b":[1,2]}'


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_a_non_finite_number_in_normalised_components_is_refused(value: float) -> None:
    # normalise() writes these as {"__float__": ...}; one that skipped it has no JSON form
    with pytest.raises(ValueError, match="Out of range float values are not JSON compliant"):
        fingerprint_of({"x": value}, normalised=True)
