"""Cache decisions against a real store in a temporary directory: what is cached, what
is damaged, what must be verified, and why the rest runs."""

from __future__ import annotations

import os
from pathlib import Path

import networkx as nx
import pytest

from assay.catalog import Resources
from assay.compiler.plan import InputBinding, Plan, PlanNode, Source
from assay.executor.cache import CACHED, RUN, NodeStatus, _needed, decide, explain
from assay.store import Store

FPS = {"load": "aa" + "0" * 62, "train": "bb" + "0" * 62, "evaluate": "cc" + "0" * 62}
OUTPUT = {"load": "data", "train": "model", "evaluate": "metrics"}


def _node(node_id: str, producer: str | None = None, params: dict[str, object] | None = None,
          inputs: dict[str, object] | None = None) -> PlanNode:
    components = {"step": node_id, "code": "c1", "params": params or {"C": 1.0},
                  "inputs": inputs if inputs is not None else (
                      {"data": f"{FPS[producer]}:{OUTPUT[producer]}"} if producer else {}),
                  "files": {}, "targets": {}}
    bindings = (InputBinding("data", (Source(producer, OUTPUT[producer]),)),) if producer else ()
    return PlanNode(node_id, node_id, "m:f", {}, bindings, {OUTPUT[node_id]: "metrics"},
                    FPS[node_id], components, Resources(), node_id)


def _plan() -> Plan:
    graph = nx.DiGraph()
    for node in (_node("load"), _node("train", "load"), _node("evaluate", "train")):
        graph.add_node(node.id, node=node)
    graph.add_edge("load", "train")
    graph.add_edge("train", "evaluate")
    return Plan(graph, "p", "p.yaml", metrics=(Source("evaluate", "metrics"),))


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "store")


def _write(store: Store, *node_ids: str) -> None:
    for node_id in node_ids:
        store.artifacts.write(FPS[node_id], {OUTPUT[node_id]: ("metrics", {"value": 1.5})}, {})


def _file(store: Store, node_id: str) -> Path:
    return store.artifacts.entry_dir(FPS[node_id]) / f"{OUTPUT[node_id]}.json"


def _alter(store: Store, node_id: str) -> None:
    """Same size, other bytes: only a checksum sees it."""
    _file(store, node_id).write_text(_file(store, node_id).read_text().replace("1.5", "2.5"))


def _reasons(statuses: dict[str, NodeStatus]) -> dict[str, str]:
    return {n: s.reason for n, s in statuses.items()}


def test_an_empty_store_runs_everything_as_new(store: Store) -> None:
    statuses = decide(_plan(), store)
    assert statuses == {n: NodeStatus(RUN, "new") for n in FPS}


def test_complete_entries_are_cached_and_only_the_metrics_are_checksummed(store: Store) -> None:
    _write(store, *FPS)
    checked: dict[str, bool] = {}
    statuses = decide(_plan(), store, checked)
    assert statuses == {n: NodeStatus(CACHED, CACHED) for n in FPS}
    assert checked == {FPS["evaluate"]: True}


def test_a_truncated_output_is_output_corrupt_with_its_sizes(store: Store) -> None:
    _write(store, *FPS)
    size = _file(store, "train").stat().st_size
    os.truncate(_file(store, "train"), 2)
    statuses = decide(_plan(), store)
    assert statuses["train"] == NodeStatus(
        RUN, "output corrupt", f"model.json is 2 bytes, manifest.json records {size}")
    assert statuses["load"] == statuses["evaluate"] == NodeStatus(CACHED, CACHED)
    # deciding leaves the damaged copy where it is: the fresh result replaces it
    assert _file(store, "train").stat().st_size == 2


def test_a_missing_file_of_a_published_entry_is_output_corrupt(store: Store) -> None:
    _write(store, *FPS)
    _file(store, "load").unlink()
    assert decide(_plan(), store)["load"] == NodeStatus(RUN, "output corrupt",
                                                        "data.json is missing")


def test_an_altered_input_of_a_node_that_runs_is_found_and_the_check_cascades(
    store: Store
) -> None:
    _write(store, "load", "train")  # evaluate has no entry: it runs and reads train
    _alter(store, "train")
    checked: dict[str, bool] = {}
    statuses = decide(_plan(), store, checked)
    assert _reasons(statuses) == {"load": CACHED, "train": "output corrupt", "evaluate": "new"}
    assert statuses["train"].detail == "model.json does not match its recorded sha256"
    # train now runs, so load (which it reads) was checksummed in turn
    assert checked == {FPS["train"]: False, FPS["load"]: True}
    assert store.artifacts.exists(FPS["train"])


def test_an_altered_entry_nobody_reads_stays_cached(store: Store) -> None:
    _write(store, *FPS)
    _alter(store, "load")
    assert decide(_plan(), store)["load"] == NodeStatus(CACHED, CACHED)


def test_a_verification_shared_by_a_sweep_is_not_repeated(store: Store) -> None:
    _write(store, *FPS)
    statuses = decide(_plan(), store, {FPS["evaluate"]: False})  # another job found it bad
    assert statuses["evaluate"] == NodeStatus(RUN, "output corrupt", "checksum mismatch")


def test_a_partial_directory_is_explained_from_history_not_as_corrupt(store: Store) -> None:
    directory = store.artifacts.entry_dir(FPS["load"])
    directory.mkdir(parents=True)
    (directory / "data.json").write_text('{"value": ')
    assert decide(_plan(), store)["load"] == NodeStatus(RUN, "new")


def test_a_removed_entry_with_history_is_output_missing(store: Store) -> None:
    _write(store, *FPS)
    plan = _plan()
    store.metadata.record_history("p", [(n.id, n.fingerprint, n.components) for n in plan])
    store.artifacts.quarantine(FPS["train"], "test")
    assert _reasons(decide(plan, store)) == {"load": CACHED, "train": "output missing",
                                             "evaluate": CACHED}


def test_needed_are_the_cached_producers_of_running_nodes_and_the_metrics_nodes() -> None:
    plan = _plan()
    cached, run = NodeStatus(CACHED, CACHED), NodeStatus(RUN, "new")
    assert _needed(plan, {"load": cached, "train": cached, "evaluate": cached}) == {"evaluate"}
    assert _needed(plan, {"load": cached, "train": run, "evaluate": cached}) == {"load",
                                                                                   "evaluate"}
    assert _needed(plan, {"load": cached, "train": cached, "evaluate": run}) == {"train"}
    assert _needed(plan, {"load": run, "train": run, "evaluate": run}) == set()


def test_an_added_and_a_removed_parameter_are_named() -> None:
    before = _node("train", "load", params={"C": 1.0, "penalty": "l2"}).components
    status = explain(_node("train", "load", params={"C": 1.0, "tol": 0.001}), before)
    assert (status.reason, status.detail) == ("parameter changed",
                                              "penalty: removed; tol: added 0.001")


def test_a_nested_added_parameter_shows_its_value() -> None:
    before = _node("train", "load", params={"model": {"C": 1.0}}).components
    status = explain(_node("train", "load", params={"model": {"C": 1.0, "l1": [1, 2]}}), before)
    assert status.detail == "model.l1: added [1, 2]"


def test_an_added_and_a_removed_input_are_named() -> None:
    before = _node("train", "load", inputs={"data": "x:data", "old": "y:data"}).components
    status = explain(_node("train", "load", inputs={"data": "x:data", "extra": "z:data"}),
                     before)
    assert (status.reason, status.detail) == ("input changed", "extra, old")


def test_a_long_parameter_value_is_shortened() -> None:
    before = _node("train", "load", params={"C": 1.0}).components
    status = explain(_node("train", "load", params={"C": "x" * 60}), before)
    assert status.detail == 'C: 1.0 -> "' + "x" * 36 + "..."
