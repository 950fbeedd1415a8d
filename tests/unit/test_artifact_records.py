"""What the artifact store writes and says: the manifest on disk and older manifests without
optional fields, the log lines of a kept first writer and of a replaced entry, reading
errors, and datasets held in memory for later readers in the same process."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pandas as pd
import pytest

from assay.artifacts import Dataset
from assay.errors import CorruptArtifactError
from assay.store import Store
from assay.store import artifacts as artifacts_module
from assay.store.artifacts import MANIFEST, ArtifactStore
from assay.store.codecs import FORMAT_VERSION

FP = "ab" + "1" * 62
OTHER = "cd" + "2" * 62
LOGGER = "assay.store.artifacts"


def _store(tmp_path: Path) -> ArtifactStore:
    store = Store(tmp_path).artifacts
    store.write(FP, {"metrics": ("metrics", {"accuracy": 0.5})}, {"run": "r1"})
    return store


def test_the_manifest_on_disk_has_every_field(tmp_path: Path) -> None:
    store = _store(tmp_path)
    data = json.loads((store.entry_dir(FP) / MANIFEST).read_text())
    assert data["format"] == FORMAT_VERSION and data["fingerprint"] == FP
    assert data["info"]["run"] == "r1"
    assert set(data["outputs"]["metrics"]) == {"kind", "codec", "file", "size", "sha256", "meta"}
    record = store.manifest(FP).outputs["metrics"]  # type: ignore[union-attr]
    assert (record.name, record.file) == ("metrics", "metrics.json")


def test_a_manifest_without_meta_or_info_reads_as_empty_ones(tmp_path: Path) -> None:
    store = _store(tmp_path)
    path = store.entry_dir(FP) / MANIFEST
    data = json.loads(path.read_text())
    del data["info"]
    del data["outputs"]["metrics"]["meta"]
    path.write_text(json.dumps(data))
    manifest = store.manifest(FP)
    assert manifest is not None
    assert manifest.info == {} and manifest.outputs["metrics"].meta == {}
    assert store.read(FP, "metrics") == {"accuracy": 0.5}


def test_an_unreadable_manifest_is_logged_with_its_path_and_error(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = _store(tmp_path)
    path = store.entry_dir(FP) / MANIFEST
    path.write_text("{")
    with caplog.at_level("WARNING", logger=LOGGER):
        assert store.manifest(FP) is None
    [message] = caplog.messages
    assert re.fullmatch(re.escape(f"unreadable manifest {path} (") + r".+\): treated as a cache miss",
                        message)
    assert "Expecting property name" in message


def test_a_file_that_fails_to_stat_without_an_errno_says_what_failed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = _store(tmp_path)
    original = Path.stat

    def stat(self: Path, *args: object, **kwargs: object) -> os.stat_result:
        if self.name == "metrics.json":
            raise OSError("the disk went away")
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "stat", stat)
    assert store.problem(FP) == "metrics.json cannot be read (the disk went away)"


def test_writing_a_stored_fingerprint_again_logs_that_the_first_is_kept(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = _store(tmp_path)
    with caplog.at_level("INFO", logger=LOGGER):
        store.write(FP, {"metrics": ("metrics", {"accuracy": 0.5})}, {})
    assert caplog.messages == [f"entry {FP[:12]} was stored concurrently; keeping the first"]


def test_a_writer_that_loses_the_rename_race_keeps_the_winner(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    store = Store(tmp_path).artifacts
    rename = os.rename

    def rival_first(source: str, target: str) -> None:
        if Path(target) == store.entry_dir(FP):  # another process publishes in between
            rename(source, target)
            raise OSError(39, "Directory not empty")
        rename(source, target)

    monkeypatch.setattr(artifacts_module.os, "rename", rival_first)
    with caplog.at_level("INFO", logger=LOGGER):
        store.write(FP, {"metrics": ("metrics", {"accuracy": 0.5})}, {})
    assert caplog.messages == [f"entry {FP[:12]} was stored concurrently; keeping the first"]
    assert store.problem(FP, ["metrics"], checksums=True) is None


def test_a_failed_rename_with_nothing_published_is_raised(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store(tmp_path).artifacts

    def refuse(source: str, target: str) -> None:
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(artifacts_module.os, "rename", refuse)
    with pytest.raises(OSError, match="Read-only file system"):
        store.write(FP, {"metrics": ("metrics", {"accuracy": 0.5})}, {})
    assert not store.exists(FP)


def test_a_replaced_entry_is_logged_with_why(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = _store(tmp_path)
    (store.entry_dir(FP) / "metrics.json").write_bytes(b"")
    with caplog.at_level("WARNING", logger=LOGGER):
        store.write(FP, {"metrics": ("metrics", {"accuracy": 0.5})}, {})
    [message] = caplog.messages
    assert message.startswith(f"artifact {FP[:12]} is corrupt (metrics.json is 0 bytes, ")
    assert message.endswith("; replaced by a fresh result): treated as a cache miss")


def test_reading_from_an_absent_entry_names_the_output(tmp_path: Path) -> None:
    store = Store(tmp_path).artifacts
    with pytest.raises(CorruptArtifactError, match=re.escape(f"artifact {OTHER[:12]}/metrics is missing")):
        store.read(OTHER, "metrics")


def test_a_file_that_cannot_be_read_names_its_path(tmp_path: Path) -> None:
    store = _store(tmp_path)
    path = store.entry_dir(FP) / "metrics.json"
    path.unlink()
    with pytest.raises(CorruptArtifactError, match=re.escape(f"cannot read {path}: ")):
        store.read(FP, "metrics")


def test_a_checksum_mismatch_on_read_is_logged_and_moved_aside(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = _store(tmp_path)
    path = store.entry_dir(FP) / "metrics.json"
    path.write_text(path.read_text().replace("0.5", "0.7"))
    with caplog.at_level("WARNING", logger=LOGGER), pytest.raises(CorruptArtifactError):
        store.read(FP, "metrics")
    assert caplog.messages == [
        f"artifact {FP[:12]} is corrupt (metrics.json checksum mismatch): treated as a cache miss"]
    assert not store.exists(FP)


def test_a_dataset_is_held_in_memory_for_later_readers(tmp_path: Path) -> None:
    store = Store(tmp_path).artifacts
    dataset = Dataset(pd.DataFrame({"x": [1.0, 2.0], "y": [0, 1]}), "y", "classification", "toy")
    manifest = store.write(FP, {"data": ("dataset", dataset)}, {})
    for record in manifest.outputs.values():
        (store.entry_dir(FP) / record.file).unlink()  # only memory can answer now
    assert store.read(FP, "data") is dataset
    with pytest.raises(CorruptArtifactError):
        Store(tmp_path / "elsewhere").artifacts.read(FP, "data")
