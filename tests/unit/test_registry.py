"""Registry pieces on their own: references, versions and aliases, gates, diffs."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from assay.engine.reproduce import Difference, Reproduction
from assay.errors import MissingStoreError, UserError
from assay.registry import (
    DatasetUse,
    ModelRegistry,
    NewVersion,
    Promotion,
    Reference,
    RegistryError,
    decide_promotion,
    load_model,
    parse_reference,
)
from assay.registry.diff import diff_versions, short_fingerprint
from assay.store import MetadataStore


def _new(name: str = "churn", fingerprint: str = "f1", **changes: object) -> NewVersion:
    fields: dict[str, object] = dict(
        name=name, run_id="r1", pipeline="train", register_fingerprint=fingerprint,
        model_fingerprint="m" * 64, model_sha256="s" * 64, estimator="E", task="classification",
        config="model:\n  C: 1.0\nsplit:\n  seed: 0\n", overrides=["model.C=1.0"],
        fingerprints={"train": "a" * 64, "load": "b" * 64}, metrics={"roc_auc": 0.9},
        code={"commit": "c1", "dirty": False}, packages={"python": "3.11"},
        datasets=(DatasetUse("train", "split", "d" * 64, "churn.csv", 10, {"x": "float64"}),),
    )
    fields.update(changes)
    return NewVersion(**fields)  # type: ignore[arg-type]


@pytest.fixture
def registry(tmp_path: Path) -> ModelRegistry:
    return ModelRegistry(MetadataStore(tmp_path / "assay.db"))


@pytest.mark.parametrize(("text", "expected"), [
    ("churn", Reference("churn")),
    ("churn:v3", Reference("churn", 3)),
    ("churn:3", Reference("churn", 3)),
    ("churn@champion", Reference("churn", alias="champion")),
    ("my.model-2@stage_1", Reference("my.model-2", alias="stage_1")),
])
def test_references_parse(text: str, expected: Reference) -> None:
    assert parse_reference(text) == expected


@pytest.mark.parametrize("text", ["", "churn:vx", "churn@", "a@b@c", "-x", "churn:v1@a"])
def test_malformed_references_are_user_errors(text: str) -> None:
    with pytest.raises(UserError) as raised:
        parse_reference(text)
    assert "NAME:vN or NAME@ALIAS" in raised.value.render()


def test_versions_count_up_per_name_and_an_unchanged_plan_keeps_its_version(
        registry: ModelRegistry) -> None:
    first, created = registry.register(_new())
    assert (first.ref, created) == ("churn:v1", True)
    same, created = registry.register(_new(run_id="r2"))
    assert (same.ref, same.run_id, created) == ("churn:v1", "r1", False)
    second, _ = registry.register(_new(fingerprint="f2"))
    other, _ = registry.register(_new(name="fraud", fingerprint="f2"))
    assert (second.ref, other.ref) == ("churn:v2", "fraud:v1")
    assert registry.resolve("churn").ref == "churn:v2"
    assert registry.resolve("churn@latest").ref == "churn:v2"
    assert registry.get("churn", 1).datasets[0].columns == {"x": "float64"}


def test_numbers_stay_distinct_under_concurrent_registration(tmp_path: Path) -> None:
    refs: list[str] = []

    def register(index: int) -> None:
        own = ModelRegistry(MetadataStore(tmp_path / "assay.db"))  # one connection each
        refs.append(own.register(_new(fingerprint=f"f{index}"))[0].ref)

    threads = [threading.Thread(target=register, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(refs, key=lambda r: int(r.split(":v")[1])) == [f"churn:v{i}" for i in range(1, 9)]


def test_aliases_move_and_latest_cannot_be_set(registry: ModelRegistry) -> None:
    registry.register(_new())
    registry.register(_new(fingerprint="f2"))
    assert registry.set_alias("churn", "champion", 1) is None
    assert registry.set_alias("churn", "champion", 2) == 1
    assert registry.resolve("churn@champion").aliases == ("champion", "latest")
    with pytest.raises(RegistryError):
        registry.set_alias("churn", "latest", 1)
    with pytest.raises(RegistryError) as missing:
        registry.resolve("churn@gold")
    assert "churn has no alias 'gold'" in missing.value.render()


def test_a_promotion_to_latest_is_refused_and_records_nothing(registry: ModelRegistry) -> None:
    registry.register(_new())
    with pytest.raises(RegistryError) as refused:
        registry.record_promotion(Promotion("churn", 1, "latest", True, None, ("by hand",),
                                            {"manual": True}, None, 0.0))
    assert "'latest' cannot be an alias" in refused.value.render()
    assert registry.promotions("churn") == []
    assert registry.aliases("churn") == {"latest": 1}


def test_versions_are_read_with_a_fixed_number_of_queries(registry: ModelRegistry) -> None:
    statements: list[str] = []
    registry.metadata.connection.set_trace_callback(statements.append)

    def queries_to_list() -> int:
        statements.clear()
        registry.versions()
        return len(statements)

    registry.register(_new(tags={"team": "risk"}))
    few = queries_to_list()
    for index in range(2, 6):
        registry.register(_new(fingerprint=f"f{index}", tags={"n": str(index)}))
    registry.register(_new(name="fraud", fingerprint="g1"))
    assert queries_to_list() == few  # not one more per version
    registry.set_alias("churn", "champion", 2)
    registry.set_alias("fraud", "champion", 1)
    listed = {v.ref: v for v in registry.versions()}
    assert listed["churn:v1"].tags == {"team": "risk"} and listed["churn:v3"].tags == {"n": "3"}
    assert listed["churn:v2"].aliases == ("champion",)
    assert listed["churn:v5"].aliases == ("latest",)
    assert listed["fraud:v1"].aliases == ("champion", "latest")
    assert all(v.datasets[0].fingerprint == "d" * 64 for v in listed.values())
    assert registry.get("churn", 2).aliases == ("champion",)  # latest names v5, not v2


def test_versions_of_one_run_and_the_hint_for_a_missing_number(registry: ModelRegistry) -> None:
    registry.register(_new())
    registry.register(_new(fingerprint="f2", run_id="r2"))
    registry.register(_new(name="fraud", fingerprint="g1", run_id="r2"))
    assert [v.ref for v in registry.registered_by("r2")] == ["churn:v2", "fraud:v1"]
    assert registry.registered_by("r9") == []
    with pytest.raises(RegistryError) as missing:
        registry.get("churn", 7)
    assert "churn has v1 to v2" in missing.value.render()
    with pytest.raises(RegistryError) as only:
        registry.get("fraud", 2)
    assert "fraud has only v1" in only.value.render()


def test_load_model_from_a_missing_store_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(MissingStoreError) as raised:
        load_model("churn", store=missing)
    assert f"no assay store at {missing}" in raised.value.render()
    assert raised.value.problems[0].key == "--store"
    assert not missing.exists()


def test_a_reproduction_claims_the_model_only_when_its_checksum_matched() -> None:
    matched = Reproduction("churn:v1", "/tmp/x")
    differs = Reproduction("churn:v1", "/tmp/x", notes=[
        Difference("model", "artifact checksum", "a" * 64, "b" * 64, "the pickled bytes differ")])
    assert matched.model_matches and matched.to_json()["model_matches"]
    assert differs.ok and not differs.model_matches
    assert differs.notes[0].describe() == (f"model artifact checksum: recorded {'a' * 12}, "
                                           f"reproduced {'b' * 12} (the pickled bytes differ)")


@pytest.mark.parametrize(("value", "shown"), [
    ("a" * 64, "a" * 12), ("A" * 64, "A" * 64), ("a" * 63, "a" * 63), (0.5, "0.5"), (None, "None"),
])
def test_only_hex_digests_are_shortened(value: object, shown: str) -> None:
    assert short_fingerprint(value) == shown


GATE = {"metric": "roc_auc", "min": 0.8, "must_beat": "champion", "by": 0.01}


@pytest.mark.parametrize(("value", "rival", "promoted"), [
    (0.95, None, True),  # no champion yet: only the minimum applies
    (0.79, None, False),  # below the minimum
    (0.95, 0.93, True),  # beats the champion by 0.02 >= 0.01
    (0.935, 0.93, False),  # better, but by less than 0.01
    (0.93, 0.93, False),  # equal is not better
])
def test_gate_conditions(value: float, rival: float | None, promoted: bool) -> None:
    decision = decide_promotion(GATE, "churn:v2", {"roc_auc": value},
                                None if rival is None else ("churn:v1", {"roc_auc": rival}))
    assert decision.promoted is promoted
    assert decision.alias == "champion" and decision.reasons


def test_gate_for_a_loss_minimises_and_refuses_a_missing_metric() -> None:
    gate = {"metric": "log_loss", "max": 0.5, "must_beat": "champion", "direction": "minimize"}
    better = decide_promotion(gate, "m:v2", {"log_loss": 0.2}, ("m:v1", {"log_loss": 0.3}))
    worse = decide_promotion(gate, "m:v2", {"log_loss": 0.4}, ("m:v1", {"log_loss": 0.3}))
    assert better.promoted and not worse.promoted
    missing = decide_promotion(gate, "m:v2", {"accuracy": 0.9}, None)
    assert not missing.promoted and "has no 'log_loss' metric" in missing.reasons[0]


def test_diff_reports_only_what_differs(registry: ModelRegistry) -> None:
    a, _ = registry.register(_new())
    b, _ = registry.register(_new(
        fingerprint="f2", overrides=["model.C=2.0"], config="model:\n  C: 2.0\nsplit:\n  seed: 0\n",
        metrics={"roc_auc": 0.95}, fingerprints={"train": "e" * 64, "load": "b" * 64}))
    diff = diff_versions(a, b)
    assert diff["overrides"] == {"model.C": ["1.0", "2.0"]}
    assert diff["config"] == {"model.C": [1.0, 2.0]}
    assert diff["steps"] == {"train": ["a" * 64, "e" * 64]}
    assert diff["metrics"]["roc_auc"]["change"] == pytest.approx(0.05)
    assert diff["data"] == {} and diff["code"] == {}
