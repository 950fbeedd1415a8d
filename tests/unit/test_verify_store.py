"""Checking a whole store in-process, against a real store in a temporary directory: each
kind of problem is found with its path, message and fix, and ``repair`` does what it says."""

from __future__ import annotations

from pathlib import Path

import pytest

from assay.engine.verify import Finding, Verification, model_problem, verify_store
from assay.registry import DatasetUse, ModelRegistry, ModelVersion, NewVersion
from assay.store import Store

FP = "ab" + "1" * 62
MODEL_FP = "cd" + "2" * 62


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "store")


def _write(store: Store, fingerprint: str = FP, name: str = "metrics") -> Path:
    store.artifacts.write(fingerprint, {name: ("metrics", {"accuracy": 0.5})}, {})
    return store.artifacts.entry_dir(fingerprint) / f"{name}.json"


def _register(store: Store, sha256: str | None = None) -> ModelVersion:
    """A version whose model is the entry MODEL_FP (written by the caller, or absent)."""
    if sha256 is None:
        manifest = store.artifacts.manifest(MODEL_FP)
        sha256 = manifest.outputs["model"].sha256 if manifest else "e" * 64
    version, _ = ModelRegistry(store.metadata).register(NewVersion(
        name="churn", run_id="r1", pipeline="train", register_fingerprint="f1",
        model_fingerprint=MODEL_FP, model_sha256=sha256, estimator="E",
        task="classification", config="model: {}\n", overrides=[], fingerprints={},
        metrics={"roc_auc": 0.9}, code={"commit": "c1", "dirty": False}, packages={},
        datasets=(DatasetUse("train", "split", "d" * 64, "churn.csv", 10, {"x": "float64"}),)))
    return version


def _run_without_pid(store: Store, run_id: str = "old") -> None:
    """A run an older assay left running: it recorded no process id."""
    store.metadata.start_run(run_id, "train", "assay run", [], "", None, 1)
    with store.metadata.transaction() as tx:
        tx.execute("UPDATE runs SET pid = NULL WHERE id = ?", (run_id,))


def test_an_empty_store_is_ok_and_says_what_it_checked(store: Store) -> None:
    result = verify_store(store)
    assert result.ok and result.findings == []
    assert result.checked == {"artifacts": 0, "model versions": 0, "runs": 0}
    assert result.to_json() == {"store": str(store.root), "ok": True,
                                "checked": {"artifacts": 0, "model versions": 0, "runs": 0},
                                "problems": []}


def test_sound_entries_versions_and_runs_are_counted_not_reported(store: Store) -> None:
    _write(store)
    _write(store, MODEL_FP, "model")
    _register(store)
    store.metadata.start_run("live", "train", "assay run", [], "", None, 1)  # this process: alive
    result = verify_store(store)
    assert result.ok
    assert result.checked == {"artifacts": 2, "model versions": 1, "runs": 1}


def test_a_truncated_artifact_is_reported_with_its_sizes_path_and_fix(store: Store) -> None:
    path = _write(store)
    size = path.stat().st_size
    path.write_bytes(path.read_bytes()[:5])
    result = verify_store(store)
    assert not result.ok
    assert result.findings == [Finding(
        "artifact", FP[:12], str(store.artifacts.entry_dir(FP)),
        f"metrics.json is 5 bytes, manifest.json records {size}",
        "assay verify --repair (moves it aside; it is then recomputed)")]
    assert path.exists()  # without repair nothing moves


def test_an_altered_artifact_is_found_by_its_checksum(store: Store) -> None:
    path = _write(store)
    path.write_text(path.read_text().replace("0.5", "0.7"))  # same size, other bytes
    [finding] = verify_store(store).findings
    assert finding.problem == "metrics.json does not match its recorded sha256"


def test_repair_moves_a_damaged_artifact_aside_and_leaves_the_sound_ones(store: Store) -> None:
    damaged = _write(store)
    _write(store, MODEL_FP, "model")
    damaged.write_bytes(b"")
    result = verify_store(store, repair=True)
    [finding] = result.findings
    assert finding.repaired == "moved to artifacts/.corrupt; the next run that needs it recomputes it"
    assert finding.hint == ""
    assert not store.artifacts.exists(FP) and store.artifacts.exists(MODEL_FP)
    assert list(store.artifacts.fingerprints()) == [MODEL_FP]
    again = verify_store(store)
    assert again.ok and again.checked["artifacts"] == 1


def test_a_version_whose_model_is_missing_names_the_restore_command(store: Store) -> None:
    version = _register(store)
    result = verify_store(store)
    assert result.findings == [Finding(
        "model", "churn:v1", str(store.artifacts.entry_dir(MODEL_FP)),
        f"its model artifact {MODEL_FP[:12]} is missing", "assay models restore churn:v1")]
    assert model_problem(store, version) == (f"its model artifact {MODEL_FP[:12]} is missing",
                                             str(store.artifacts.entry_dir(MODEL_FP)))


def test_a_version_whose_model_is_damaged_says_what_is_wrong(store: Store) -> None:
    path = _write(store, MODEL_FP, "model")
    size = path.stat().st_size
    version = _register(store)
    path.write_bytes(b"{}")
    problem, where = model_problem(store, version)
    assert problem == (f"its model artifact {MODEL_FP[:12]} is damaged: "
                       f"model.json is 2 bytes, manifest.json records {size}")
    assert where == str(store.artifacts.entry_dir(MODEL_FP))
    [finding] = [f for f in verify_store(store).findings if f.kind == "model"]
    assert finding.problem == problem and finding.hint == "assay models restore churn:v1"


def test_a_version_whose_model_lacks_the_model_output_is_damaged(store: Store) -> None:
    _write(store, MODEL_FP, "metrics")  # an entry, but not one holding a model
    version = _register(store, sha256="e" * 64)
    problem, _ = model_problem(store, version)
    assert problem == (f"its model artifact {MODEL_FP[:12]} is damaged: "
                       "output 'model' is not in manifest.json")


def test_a_version_whose_model_has_other_bytes_than_registered_is_reported(store: Store) -> None:
    path = _write(store, MODEL_FP, "model")
    recorded = store.artifacts.manifest(MODEL_FP).outputs["model"].sha256  # type: ignore[union-attr]
    version = _register(store, sha256="f" * 64)
    assert model_problem(store, version) == (
        f"its model artifact has sha256 {recorded[:12]}, the registry recorded {'f' * 12}", str(path))


def test_a_sound_model_has_no_problem_and_points_at_its_file(store: Store) -> None:
    path = _write(store, MODEL_FP, "model")
    version = _register(store)
    assert model_problem(store, version) == (None, str(path))


def test_a_run_left_running_without_a_pid_is_reported_and_repair_interrupts_it(store: Store) -> None:
    _run_without_pid(store)
    [finding] = verify_store(store).findings
    assert finding == Finding(
        "run", "old", str(store.metadata.path),
        "recorded as running by an older assay that kept no process id, so whether it "
        "still runs cannot be checked", "assay verify --repair (marks it interrupted)")
    assert store.metadata.run("old")["status"] == "running"  # type: ignore[index]
    repaired = verify_store(store, repair=True)
    assert [f.repaired for f in repaired.findings] == ["marked interrupted"]
    assert [f.hint for f in repaired.findings] == [""]
    assert store.metadata.run("old")["status"] == "interrupted"  # type: ignore[index]
    assert verify_store(store).ok


def test_findings_describe_themselves_line_by_line() -> None:
    plain = Finding("artifact", "ab12", "/s/artifacts/ab/ab12", "broken", "assay verify --repair")
    assert plain.describe() == ("artifact ab12: broken\n  path: /s/artifacts/ab/ab12\n"
                                "  fix: assay verify --repair")
    repaired = Finding("run", "r1", "/s/assay.db", "stuck", "", "marked interrupted")
    assert repaired.describe() == "run r1: stuck\n  path: /s/assay.db\n  repaired: marked interrupted"
    assert Finding("run", "r1", "/db", "stuck").describe() == "run r1: stuck\n  path: /db"


def test_a_verification_is_ok_only_without_findings() -> None:
    finding = Finding("run", "r1", "/db", "stuck")
    assert Verification("/s").ok
    assert not Verification("/s", [finding]).ok
    assert Verification("/s", [finding], {"runs": 1}).to_json() == {
        "store": "/s", "ok": False, "checked": {"runs": 1},
        "problems": [{"kind": "run", "subject": "r1", "path": "/db", "problem": "stuck",
                      "hint": "", "repaired": ""}]}


def test_a_damaged_entry_after_a_sound_one_is_still_found(store: Store) -> None:
    _write(store)  # ab…: sound, checked first
    damaged = _write(store, MODEL_FP, "model")  # cd…: checked after it
    damaged.write_bytes(b"")
    result = verify_store(store)
    assert [f.subject for f in result.findings] == [MODEL_FP[:12]]


def test_repair_logs_why_it_moved_an_entry(store: Store, caplog: pytest.LogCaptureFixture) -> None:
    _write(store).write_bytes(b"")
    with caplog.at_level("WARNING"):
        verify_store(store, repair=True)
    assert f"artifact {FP[:12]} is corrupt (metrics.json is 0 bytes, manifest.json records" in caplog.text


def test_a_model_altered_in_place_is_damaged_by_its_checksum(store: Store) -> None:
    path = _write(store, MODEL_FP, "model")
    version = _register(store)
    path.write_text(path.read_text().replace("0.5", "0.7"))  # same size: only a checksum sees it
    assert model_problem(store, version) == (
        f"its model artifact {MODEL_FP[:12]} is damaged: model.json does not match its recorded sha256",
        str(store.artifacts.entry_dir(MODEL_FP)))


def test_a_live_run_recorded_before_a_stuck_one_does_not_hide_it(store: Store) -> None:
    store.metadata.start_run("live", "train", "assay run", [], "", None, 1, started=1.0)
    _run_without_pid(store)  # started now: listed after the live one
    result = verify_store(store)
    assert [f.subject for f in result.findings] == ["old"]
    assert result.checked["runs"] == 2
