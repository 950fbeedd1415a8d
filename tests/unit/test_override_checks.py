"""Overrides whose shape Hydra cannot handle are refused before Hydra sees them."""

from __future__ import annotations

import re

import pytest

from assay.config.compose import MAX_KEY_PART, MAX_NESTING, check_overrides, nesting_depth
from assay.errors import ConfigError


@pytest.mark.parametrize(("text", "depth"), [
    ("1", 0), ("[1,2]", 1), ("{a:[1,{b:2}]}", 3), ("${oc.env:X}", 1),
    ("choice(1,[2,3])", 2), ("'[[['", 3), (r"\[\[1", 0), ("]]][", 1),
])
def test_nesting_depth_counts_open_brackets(text: str, depth: int) -> None:
    assert nesting_depth(text) == depth


def test_overrides_within_the_limits_pass() -> None:
    check_overrides([
        "+" + ".".join(["a"] * 100) + "=1",
        "x" * MAX_KEY_PART + "=1",
        "+deep=" + "[" * MAX_NESTING + "]" * MAX_NESTING,
        "model=random_forest",
        "-m",
    ])


def test_a_key_part_longer_than_a_file_name_is_refused() -> None:
    key = "k" * (MAX_KEY_PART + 1)
    with pytest.raises(ConfigError, match=re.escape(f"the key is {MAX_KEY_PART + 1} characters long")):
        check_overrides([f"+group/{key}=1"])


def test_every_override_too_deep_is_reported_at_once() -> None:
    deep = "{a:" * (MAX_NESTING + 1) + "1" + "}" * (MAX_NESTING + 1)
    with pytest.raises(ConfigError) as raised:
        check_overrides([f"+one={deep}", "fine=1", f"two=[{deep}]"])
    messages = [p.message for p in raised.value.problems]
    assert messages == [f"the value nests {MAX_NESTING + 1} levels deep",
                        f"the value nests {MAX_NESTING + 2} levels deep"]
    assert [p.key for p in raised.value.problems] == ["one", "two"]
