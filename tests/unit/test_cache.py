from __future__ import annotations

from assay.catalog import Resources
from assay.compiler.plan import PlanNode
from assay.executor.cache import explain


def _node(**components: object) -> PlanNode:
    base = {"step": "train_model", "code": "c1", "params": {"estimator": {"C": 1.0}},
            "inputs": {"data": ["f1:train"]}, "files": {}, "targets": {}}
    base.update(components)
    return PlanNode("train", "train_model", "m:f", {}, (), {"model": "model"}, "fp", base,
                    Resources(), "train")


PREVIOUS = _node().components


def test_a_node_never_seen_is_new() -> None:
    assert explain(_node(), None).reason == "new"


def test_same_components_but_no_entry_means_output_missing() -> None:
    assert explain(_node(), PREVIOUS).reason == "output missing"


def test_a_changed_parameter_is_named_with_old_and_new_values() -> None:
    status = explain(_node(params={"estimator": {"C": 0.5}}), PREVIOUS)
    assert (status.status, status.reason, status.detail) == (
        "run", "parameter changed", "estimator.C: 1.0 -> 0.5")


def test_code_outranks_parameters_and_inputs() -> None:
    status = explain(_node(code="c2", params={"estimator": {"C": 0.5}}), PREVIOUS)
    assert status.reason == "code changed"


def test_a_changed_upstream_is_an_input_change() -> None:
    status = explain(_node(inputs={"data": ["f2:train"]}), PREVIOUS)
    assert (status.reason, status.detail) == ("input changed", "data")


def test_changed_file_content_is_a_data_change() -> None:
    status = explain(_node(files={"source.path": "h2"}), {**PREVIOUS, "files": {"source.path": "h1"}})
    assert status.reason == "data changed"
