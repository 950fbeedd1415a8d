"""Cache explanations in full: the status, reason and detail of each outcome, components an
older record lacks, parameters whose shape changed, and an entry missing a needed output."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import networkx as nx

from assay.catalog import Resources
from assay.compiler.plan import Plan, PlanNode, Source
from assay.executor.cache import CACHED, CORRUPT, RUN, NodeStatus, decide, explain
from assay.store import Store

FP = "ee" + "0" * 62
BASE: dict[str, Any] = {"step": "train", "code": "c1", "params": {"C": 1.0},
                        "inputs": {"data": "a" * 64 + ":data"},
                        "files": {"data/a.csv": "f1"}, "targets": {}}


def _node(components: dict[str, Any] | None = None) -> PlanNode:
    return PlanNode("train", "train", "m:f", {}, (), {"model": "metrics"}, FP,
                    BASE if components is None else components, Resources(), "train")


def _without(key: str) -> dict[str, Any]:
    return {k: v for k, v in BASE.items() if k != key}


def _with(**changes: Any) -> dict[str, Any]:
    return {**BASE, **changes}


def test_same_components_without_an_entry_run_as_output_missing() -> None:
    assert explain(_node(), dict(BASE)) == NodeStatus(RUN, "output missing")


def test_changed_code_names_the_step() -> None:
    assert explain(_node(), _with(code="c0")) == NodeStatus(RUN, "code changed", "step train")
    assert explain(_node(), _with(targets={"m:E": "t0"})) == NodeStatus(RUN, "code changed", "step train")


def test_changed_files_list_every_file_of_the_node_sorted() -> None:
    node = _node(_with(files={"data/b.csv": "f2", "data/a.csv": "f1"}))
    assert explain(node, dict(BASE)) == NodeStatus(RUN, "data changed", "data/a.csv, data/b.csv")


def test_files_gone_from_the_node_are_a_data_change_with_nothing_to_list() -> None:
    assert explain(_node(_without("files")), dict(BASE)) == NodeStatus(RUN, "data changed", "")


def test_changed_input_is_named_with_run_status() -> None:
    node = _node(_with(inputs={"data": "b" * 64 + ":data"}))
    assert explain(node, dict(BASE)) == NodeStatus(RUN, "input changed", "data")


def test_an_older_record_without_parameters_shows_them_as_added() -> None:
    assert explain(_node(), _without("params")) == NodeStatus(RUN, "parameter changed", "C: added 1.0")


def test_parameters_gone_from_the_node_show_as_removed() -> None:
    assert explain(_node(_without("params")), dict(BASE)) == NodeStatus(
        RUN, "parameter changed", "C: removed")


def test_an_older_record_without_inputs_names_the_new_ones() -> None:
    assert explain(_node(), _without("inputs")) == NodeStatus(RUN, "input changed", "data")


def test_inputs_gone_from_the_node_are_named() -> None:
    assert explain(_node(_without("inputs")), dict(BASE)) == NodeStatus(RUN, "input changed", "data")


def test_a_parameter_that_was_a_mapping_and_is_now_a_value_shows_both() -> None:
    node = _node(_with(params={"C": 1.0, "opt": 5}))
    previous = _with(params={"C": 1.0, "opt": {"a": 1}})
    assert explain(node, previous) == NodeStatus(RUN, "parameter changed", 'opt: {"a": 1} -> 5')
    assert explain(_node(previous), node.components) == NodeStatus(
        RUN, "parameter changed", 'opt: 5 -> {"a": 1}')


def test_values_up_to_forty_characters_are_shown_whole_and_longer_ones_cut() -> None:
    forty = "x" * 38  # 40 characters once quoted
    node = _node(_with(params={"C": forty}))
    assert explain(node, dict(BASE)).detail == f'C: 1.0 -> "{forty}"'
    longer = _node(_with(params={"C": forty + "y"}))
    assert explain(longer, dict(BASE)).detail == f'C: 1.0 -> "{"x" * 36}...'


def test_an_entry_lacking_the_output_a_node_needs_is_corrupt(tmp_path: Path) -> None:
    store = Store(tmp_path / "store")
    store.artifacts.write(FP, {"other": ("metrics", {"value": 1.5})}, {})  # complete, wrong output
    graph = nx.DiGraph()
    graph.add_node("train", node=_node())
    plan = Plan(graph, "p", "p.yaml", metrics=(Source("train", "model"),))
    assert decide(plan, store) == {
        "train": NodeStatus(RUN, CORRUPT, "output 'model' is not in manifest.json")}
    sound = Store(tmp_path / "sound")
    sound.artifacts.write(FP, {"model": ("metrics", {"value": 1.5})}, {})
    assert decide(plan, sound) == {"train": NodeStatus(CACHED, CACHED)}
