"""The artifact store's fallbacks and bookkeeping, on a real store in a temporary directory:
copying when hard links fail, deleting when a damaged entry cannot be moved, what the log
says, which directories count as entries, and how many scratch directories were cleaned."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from assay.errors import CorruptArtifactError
from assay.store import Store
from assay.store import artifacts as artifacts_module
from assay.store.artifacts import ArtifactStore

FP = "ab" + "1" * 62
OTHER = "cd" + "2" * 62
THIRD = "ef" + "3" * 62


def _store(tmp_path: Path) -> ArtifactStore:
    store = Store(tmp_path).artifacts
    store.write(FP, {"metrics": ("metrics", {"accuracy": 0.5})}, {})
    return store


def test_resume_state_lives_under_the_store_sharded_like_entries(tmp_path: Path) -> None:
    store = Store(tmp_path).artifacts
    assert store.resume_dir(FP) == tmp_path.absolute() / "resume" / "ab" / FP


def test_a_link_that_fails_is_a_copy_with_the_same_record(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = _store(tmp_path)

    def no_links(source: object, target: object) -> None:
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(artifacts_module.os, "link", no_links)
    manifest = store.write(OTHER, {}, {}, links={"copy": (FP, "metrics")})
    source = store.entry_dir(FP) / "metrics.json"
    copy = store.entry_dir(OTHER) / "copy.json"
    assert copy.read_bytes() == source.read_bytes()
    assert os.stat(copy).st_ino != os.stat(source).st_ino  # a copy, not a link
    record, original = manifest.outputs["copy"], store.manifest(FP).outputs["metrics"]  # type: ignore[union-attr]
    assert (record.name, record.file) == ("copy", "copy.json")
    assert (record.kind, record.codec, record.size, record.sha256) == (
        original.kind, original.codec, original.size, original.sha256)
    assert store.problem(OTHER, ["copy"], checksums=True) is None


def test_linking_from_an_entry_that_does_not_exist_names_it(tmp_path: Path) -> None:
    store = Store(tmp_path).artifacts
    missing = f"artifact {THIRD[:12]}/metrics to link is missing"
    with pytest.raises(CorruptArtifactError, match=re.escape(missing)):
        store.write(OTHER, {}, {}, links={"copy": (THIRD, "metrics")})


def test_quarantine_logs_the_entry_and_the_reason(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = _store(tmp_path)
    with caplog.at_level("WARNING", logger="assay.store.artifacts"):
        store.quarantine(FP, "metrics.json is 0 bytes")
    assert caplog.messages == [
        f"artifact {FP[:12]} is corrupt (metrics.json is 0 bytes): treated as a cache miss"]


def test_quarantined_entries_keep_their_fingerprint_and_a_short_suffix(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.write(OTHER, {"metrics": ("metrics", {"accuracy": 0.7})}, {})
    store.quarantine(FP, "first")
    store.quarantine(OTHER, "second")  # the .corrupt folder exists by now
    names = sorted(p.name for p in (tmp_path / "artifacts" / ".corrupt").iterdir())
    assert [re.fullmatch(r"[0-9a-f]{64}-[0-9a-f]{8}", name) is not None for name in names] == [True, True]
    assert [name[:64] for name in names] == [FP, OTHER]


def test_quarantine_of_an_absent_entry_does_nothing(tmp_path: Path) -> None:
    store = Store(tmp_path).artifacts
    store.quarantine(FP, "gone")
    assert not (tmp_path / "artifacts" / ".corrupt").exists()


def test_an_entry_that_cannot_be_moved_aside_is_deleted(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = _store(tmp_path)

    def no_rename(source: object, target: object) -> None:
        raise OSError(16, "Device or resource busy")

    monkeypatch.setattr(artifacts_module.os, "rename", no_rename)
    store.quarantine(FP, "damaged")
    assert not store.exists(FP)
    assert list(store.fingerprints()) == []


def test_entries_are_two_level_directories_and_strays_are_skipped(tmp_path: Path) -> None:
    store = _store(tmp_path)
    artifacts = tmp_path / "artifacts"
    (artifacts / "zz").write_text("a file named like a shard")
    (artifacts / "abc").mkdir()  # not a shard
    (artifacts / "ab" / "ab-notes.txt").write_text("a file inside a shard")
    (artifacts / "ab" / ("zz" + "0" * 62)).mkdir()  # an entry in the wrong shard
    assert list(store.fingerprints()) == [FP]


def test_clean_scratch_counts_every_directory_it_removes(tmp_path: Path) -> None:
    store = Store(tmp_path).artifacts
    store.scratch.mkdir(parents=True)
    old = time.time() - 2 * 3600
    for name in ("a", "b", "c"):
        (store.scratch / name).mkdir()
        os.utime(store.scratch / name, (old, old))
    (store.scratch / "fresh").mkdir()
    assert store.clean_scratch() == 3
    assert [p.name for p in store.scratch.iterdir()] == ["fresh"]


def test_clean_scratch_waits_an_hour_by_default(tmp_path: Path) -> None:
    store = Store(tmp_path).artifacts
    store.scratch.mkdir(parents=True)
    recent = time.time() - 3600 + 60  # 59 minutes old
    (store.scratch / "writer").mkdir()
    os.utime(store.scratch / "writer", (recent, recent))
    assert store.clean_scratch() == 0
    assert store.clean_scratch(older_than_s=60) == 1


def test_verify_logs_why_it_moved_an_entry(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = _store(tmp_path)
    (store.entry_dir(FP) / "metrics.json").write_bytes(b"")
    with caplog.at_level("WARNING", logger="assay.store.artifacts"):
        assert store.verify(FP) is False
    assert caplog.messages[-1].startswith(f"artifact {FP[:12]} is corrupt (metrics.json is 0 bytes, ")
