"""Equal models pickle to equal bytes whether their strings are shared or copies."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

from sklearn.linear_model import LogisticRegression

from assay.store import Store
from assay.store.canonical import canonical_pickle


def _copy(text: str) -> str:
    """An equal string that is another object."""
    copied = "".join(list(text))
    assert copied == text and copied is not text
    return copied


def _dumps(value: Any) -> bytes:
    return pickle.dumps(value, protocol=5)


def test_shared_and_copied_strings_give_the_same_bytes() -> None:
    name = _copy("feature_1")
    shared, copied = {"a": [name, name]}, {"a": [name, _copy(name)]}
    assert _dumps(shared) != _dumps(copied)
    assert canonical_pickle(_dumps(shared)) == canonical_pickle(_dumps(copied))
    assert pickle.loads(canonical_pickle(_dumps(copied))) == copied


def test_the_canonical_form_is_stable_and_reads_back_equal() -> None:
    value = {"names": [_copy("x") for _ in range(3)], "nested": ({"x": _copy("x")}, [1.5, None])}
    once = canonical_pickle(_dumps(value))
    assert canonical_pickle(once) == once
    assert pickle.loads(once) == value


def test_references_past_256_memo_entries_are_rewritten() -> None:
    names = [f"column_{i}" for i in range(400)]
    value = [names, [_copy(n) for n in names], names[300]]
    data = canonical_pickle(_dumps(value))
    assert pickle.loads(data) == value
    assert data == canonical_pickle(_dumps([names, list(names), names[300]]))
    assert len(data) < len(_dumps(value))


def test_a_stream_it_does_not_handle_is_returned_as_it_is() -> None:
    old_protocol = pickle.dumps({"a": ["x", "x"]}, protocol=2)  # explicit memo indices
    assert canonical_pickle(old_protocol) == old_protocol
    assert canonical_pickle(b"not a pickle") == b"not a pickle"


def _fitted(solver: str, name: str) -> LogisticRegression:
    model = LogisticRegression(solver=solver).fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
    model.fitted_with_ = name  # as a pipeline holds a config's string and a frame's copy
    return model


def test_equal_models_are_stored_with_equal_bytes_and_read_back(tmp_path: Path) -> None:
    solver = _copy("lbfgs")
    shared, copied = _fitted(solver, solver), _fitted(solver, _copy(solver))
    assert _dumps(shared) != _dumps(copied)
    store = Store(tmp_path).artifacts
    first = store.write("aa" + "0" * 62, {"model": ("model", shared)}, {})
    second = store.write("bb" + "0" * 62, {"model": ("model", copied)}, {})
    assert first.outputs["model"].sha256 == second.outputs["model"].sha256
    loaded = store.read("bb" + "0" * 62, "model")
    assert loaded.predict([[3.0]]).tolist() == [1]
    assert loaded.fitted_with_ == "lbfgs"
