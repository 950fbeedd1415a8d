"""The artifact store finds damaged entries, replaces them with fresh results and never
keeps a damaged copy while reporting success."""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from pathlib import Path

import pytest

from assay.errors import CorruptArtifactError
from assay.store import Store
from assay.store import artifacts as artifacts_module
from assay.store.artifacts import MANIFEST, ArtifactStore

FP = "ab" + "1" * 62
OTHER = "cd" + "2" * 62


def _store(tmp_path: Path, value: dict[str, object] | None = None) -> ArtifactStore:
    store = Store(tmp_path).artifacts
    store.write(FP, {"metrics": ("metrics", value or {"accuracy": 0.5})}, {"writer": "first"})
    return store


def _file(store: ArtifactStore, fingerprint: str = FP) -> Path:
    return store.entry_dir(fingerprint) / "metrics.json"


def _edit_manifest(store: ArtifactStore, **record: object) -> None:
    path = store.entry_dir(FP) / MANIFEST
    manifest = json.loads(path.read_text())
    manifest["outputs"]["metrics"].update(record)
    path.write_text(json.dumps(manifest))


def _quarantined(tmp_path: Path) -> list[Path]:
    corrupt = tmp_path / "artifacts" / ".corrupt"
    return sorted(corrupt.iterdir()) if corrupt.exists() else []


# ---------------------------------------------------------------- problem / is_complete


def test_a_sound_entry_is_complete_for_its_outputs(tmp_path: Path) -> None:
    store = _store(tmp_path)
    assert store.problem(FP, ["metrics"], checksums=True) is None
    assert store.is_complete(FP, ["metrics"])
    assert store.exists(FP) and store.published(FP)


def test_an_absent_entry_is_neither_complete_nor_published(tmp_path: Path) -> None:
    store = _store(tmp_path)
    assert store.problem(OTHER, ["metrics"]) == "no entry"
    assert not store.is_complete(OTHER, ["metrics"])
    assert not store.exists(OTHER) and not store.published(OTHER)


def test_an_output_the_manifest_does_not_list_is_incomplete(tmp_path: Path) -> None:
    store = _store(tmp_path)
    assert store.problem(FP, ["metrics", "model"]) == "output 'model' is not in manifest.json"
    assert not store.is_complete(FP, ["metrics", "model"])


def test_a_truncated_file_is_incomplete_even_when_no_output_is_asked_for(tmp_path: Path) -> None:
    store = _store(tmp_path)
    size = _file(store).stat().st_size
    os.truncate(_file(store), 3)
    assert store.problem(FP) == f"metrics.json is 3 bytes, manifest.json records {size}"
    assert not store.is_complete(FP, [])
    assert not store.is_complete(FP, ["metrics"])


def test_a_missing_file_is_incomplete(tmp_path: Path) -> None:
    store = _store(tmp_path)
    _file(store).unlink()
    assert store.problem(FP, ["metrics"]) == "metrics.json is missing"
    assert not store.is_complete(FP, ["metrics"])


def test_a_file_that_cannot_be_stat_ed_is_incomplete(tmp_path: Path) -> None:
    store = _store(tmp_path)
    _edit_manifest(store, file="metrics.json/inside")  # stat fails with ENOTDIR, not ENOENT
    problem = store.problem(FP, ["metrics"])
    assert problem is not None and problem.startswith("metrics.json/inside cannot be read")
    assert not store.is_complete(FP, ["metrics"])


def test_an_unreadable_manifest_is_a_problem_and_a_logged_miss(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = _store(tmp_path)
    (store.entry_dir(FP) / MANIFEST).write_text('{"outputs": ')
    problem = store.problem(FP, ["metrics"])
    assert problem is not None and problem.startswith("manifest.json is unreadable (JSONDecodeError")
    assert store.manifest(FP) is None
    assert "unreadable manifest" in caplog.text


def test_a_manifest_of_another_fingerprint_is_a_problem(tmp_path: Path) -> None:
    store = _store(tmp_path)
    path = store.entry_dir(FP) / MANIFEST
    path.write_text(path.read_text().replace(FP, OTHER))
    assert store.problem(FP) == f"manifest.json names another fingerprint ({OTHER[:12]})"
    assert not store.is_complete(FP, ["metrics"])


def test_a_directory_without_manifest_exists_but_was_never_published(tmp_path: Path) -> None:
    store = Store(tmp_path).artifacts
    store.entry_dir(FP).mkdir(parents=True)
    (store.entry_dir(FP) / "metrics.json").write_text("{}")
    assert store.exists(FP) and not store.published(FP)
    assert store.problem(FP) == "manifest.json is missing"


def test_only_checksums_see_a_same_size_alteration(tmp_path: Path) -> None:
    store = _store(tmp_path)
    _file(store).write_text(_file(store).read_text().replace("0.5", "0.7"))
    assert store.problem(FP, ["metrics"]) is None
    assert store.problem(FP, ["metrics"], checksums=True) == (
        "metrics.json does not match its recorded sha256")


# ---------------------------------------------------------------- verify


def test_verify_keeps_a_sound_entry(tmp_path: Path) -> None:
    store = _store(tmp_path)
    assert store.verify(FP)
    assert store.exists(FP) and _quarantined(tmp_path) == []


def test_verify_moves_an_altered_entry_aside(tmp_path: Path) -> None:
    store = _store(tmp_path)
    _file(store).write_text(_file(store).read_text().replace("0.5", "0.7"))
    assert not store.verify(FP)
    assert not store.exists(FP)
    [moved] = _quarantined(tmp_path)
    assert moved.name.startswith(FP) and (moved / "metrics.json").exists()


def test_verify_fails_for_a_file_it_cannot_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _store(tmp_path)

    def refuse(path: Path, chunk: int = 0) -> str:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(artifacts_module, "file_sha256", refuse)
    assert store.problem(FP, checksums=True) == "metrics.json cannot be read (Permission denied)"
    assert not store.verify(FP)
    assert not store.exists(FP)


def test_verify_fails_for_a_missing_file_and_an_absent_entry(tmp_path: Path) -> None:
    store = _store(tmp_path)
    assert not store.verify(OTHER)
    _file(store).unlink()
    assert not store.verify(FP)
    assert len(_quarantined(tmp_path)) == 1


# ---------------------------------------------------------------- publishing


def test_a_truncated_entry_is_replaced_by_the_fresh_result(tmp_path: Path) -> None:
    store = _store(tmp_path)
    os.truncate(_file(store), 3)
    store.write(FP, {"metrics": ("metrics", {"accuracy": 0.5})}, {"writer": "second"})
    assert store.problem(FP, ["metrics"], checksums=True) is None
    assert store.read(FP, "metrics") == {"accuracy": 0.5}
    manifest = store.manifest(FP)
    assert manifest is not None and manifest.info["writer"] == "second"
    [moved] = _quarantined(tmp_path)
    assert (moved / "metrics.json").stat().st_size == 3  # kept for study


def test_a_same_size_alteration_is_replaced_too(tmp_path: Path) -> None:
    store = _store(tmp_path)
    _file(store).write_text(_file(store).read_text().replace("0.5", "0.7"))
    store.write(FP, {"metrics": ("metrics", {"accuracy": 0.5})}, {"writer": "second"})
    assert json.loads(_file(store).read_text()) == {"accuracy": 0.5}
    assert len(_quarantined(tmp_path)) == 1


def test_an_entry_missing_an_output_is_replaced(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.write(FP, {"metrics": ("metrics", {"accuracy": 0.5}), "extra": ("metrics", {"n": 1})},
                {"writer": "second"})
    assert store.read(FP, "extra") == {"n": 1}
    assert len(_quarantined(tmp_path)) == 1


def test_a_complete_entry_is_kept_when_the_same_fingerprint_is_written_again(
    tmp_path: Path
) -> None:
    store = _store(tmp_path)
    before = (store.entry_dir(FP) / MANIFEST).read_bytes()
    returned = store.write(FP, {"metrics": ("metrics", {"accuracy": 0.5})}, {"writer": "second"})
    assert returned.info["writer"] == "first"  # equal fingerprints mean equal results
    assert (store.entry_dir(FP) / MANIFEST).read_bytes() == before
    assert _quarantined(tmp_path) == []
    assert list((tmp_path / "tmp").iterdir()) == []  # the second writer's staging is gone


def test_a_partial_directory_is_replaced(tmp_path: Path) -> None:
    store = Store(tmp_path).artifacts
    store.entry_dir(FP).mkdir(parents=True)
    (store.entry_dir(FP) / "metrics.json").write_text('{"partial": ')
    store.write(FP, {"metrics": ("metrics", {"a": 1})}, {})
    assert store.read(FP, "metrics") == {"a": 1}


# ---------------------------------------------------------------- reading


def test_bytes_that_match_the_manifest_but_cannot_be_decoded_are_corrupt(tmp_path: Path) -> None:
    store = _store(tmp_path)
    _file(store).write_bytes(b"")
    _edit_manifest(store, size=0, sha256=hashlib.sha256(b"").hexdigest())
    assert store.verify(FP)  # the checksum cannot see it: the entry was stored broken
    with pytest.raises(CorruptArtifactError, match=re.escape(
            f"{_file(store)} cannot be decoded as json (JSONDecodeError")):
        store.read(FP, "metrics")
    assert not store.exists(FP) and len(_quarantined(tmp_path)) == 1


def test_reading_an_output_the_entry_lacks_names_it(tmp_path: Path) -> None:
    store = _store(tmp_path)
    with pytest.raises(CorruptArtifactError,
                       match=re.escape(f"artifact {FP[:12]}/model is missing from the store")):
        store.read(FP, "model")


# ---------------------------------------------------------------- listing, links, scratch


def test_fingerprints_lists_entries_but_not_quarantined_ones(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.write(OTHER, {"metrics": ("metrics", {"b": 2})}, {})
    assert list(store.fingerprints()) == [FP, OTHER]
    store.quarantine(OTHER, "test")
    assert list(store.fingerprints()) == [FP]
    assert list(Store(tmp_path / "empty").artifacts.fingerprints()) == []


def test_a_passed_through_output_is_a_hard_link_with_the_source_record(tmp_path: Path) -> None:
    store = _store(tmp_path)
    manifest = store.write(OTHER, {}, {}, links={"copy": (FP, "metrics")})
    source = store.manifest(FP)
    assert source is not None
    record, original = manifest.outputs["copy"], source.outputs["metrics"]
    assert (record.size, record.sha256, record.kind) == (original.size, original.sha256, "metrics")
    linked = store.entry_dir(OTHER) / record.file
    assert linked.stat().st_ino == _file(store).stat().st_ino
    assert store.read(OTHER, "copy") == {"accuracy": 0.5}


def test_linking_to_a_missing_output_is_a_corrupt_artifact_error(tmp_path: Path) -> None:
    store = _store(tmp_path)
    with pytest.raises(CorruptArtifactError,
                       match=re.escape(f"artifact {FP[:12]}/model to link is missing")):
        store.write(OTHER, {}, {}, links={"copy": (FP, "model")})
    assert not store.exists(OTHER)


def test_clean_scratch_removes_only_old_staging_directories(tmp_path: Path) -> None:
    store = Store(tmp_path).artifacts
    assert store.clean_scratch() == 0  # no scratch directory yet
    old, new = store.scratch / "old", store.scratch / "new"
    old.mkdir(parents=True)
    new.mkdir()
    hours_ago = time.time() - 7200
    os.utime(old, (hours_ago, hours_ago))
    assert store.clean_scratch(older_than_s=3600) == 1
    assert not old.exists() and new.exists()
