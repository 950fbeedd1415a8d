from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from assay.artifacts import Dataset
from assay.errors import CorruptArtifactError, MissingStoreError, StoreError
from assay.store import Store

FP = "ab" + "0" * 62


def _dataset() -> Dataset:
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "color": ["a", "b", "a"], "y": [0, 1, 0]})
    return Dataset(frame, "y", "classification", "toy")


def test_every_kind_round_trips(tmp_path: Path) -> None:
    store = Store(tmp_path)
    model = LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
    store.artifacts.write(FP, {"data": ("dataset", _dataset()), "model": ("model", model),
                               "metrics": ("metrics", {"accuracy": 0.5, "cm": [[1, 0], [0, 1]]})},
                          {"step": "test"})
    data = store.artifacts.read(FP, "data")
    pd.testing.assert_frame_equal(data.frame, _dataset().frame)
    assert (data.target, data.task, data.name) == ("y", "classification", "toy")
    assert store.artifacts.read(FP, "model").predict([[3.0]]).tolist() == [1]
    assert store.artifacts.read(FP, "metrics") == {"accuracy": 0.5, "cm": [[1, 0], [0, 1]]}
    assert store.artifacts.entry_dir(FP) == tmp_path / "artifacts" / "ab" / FP


def test_a_crashed_writer_leaves_nothing_readable(tmp_path: Path) -> None:
    store = Store(tmp_path)
    staging = tmp_path / "tmp" / "abandoned"
    staging.mkdir(parents=True)
    (staging / "metrics.json").write_text("{}")
    assert not store.artifacts.is_complete(FP, ["metrics"])
    entry = store.artifacts.entry_dir(FP)
    entry.mkdir(parents=True)
    (entry / "metrics.json").write_text('{"partial": ')  # no manifest: never published
    assert not store.artifacts.is_complete(FP, ["metrics"])
    store.artifacts.write(FP, {"metrics": ("metrics", {"a": 1})}, {})
    assert store.artifacts.read(FP, "metrics") == {"a": 1}


def test_a_corrupt_entry_is_a_logged_miss_and_moved_aside(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = Store(tmp_path)
    store.artifacts.write(FP, {"metrics": ("metrics", {"a": 1})}, {})
    path = store.artifacts.entry_dir(FP) / "metrics.json"
    path.write_text(path.read_text().replace("1", "2"))  # same size, other bytes
    assert store.artifacts.is_complete(FP, ["metrics"])  # the cheap check cannot see it
    assert not store.artifacts.verify(FP)
    assert "corrupt" in caplog.text
    assert not store.artifacts.entry_dir(FP).exists()
    assert list((tmp_path / "artifacts" / ".corrupt").iterdir())


def test_reading_a_truncated_artifact_raises_a_store_error(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.artifacts.write(FP, {"metrics": ("metrics", {"a": 1})}, {})
    (store.artifacts.entry_dir(FP) / "metrics.json").write_text("{")
    with pytest.raises(CorruptArtifactError, match="does not match its recorded checksum"):
        store.artifacts.read(FP, "metrics")


def test_concurrent_writers_of_one_fingerprint_keep_one_entry(tmp_path: Path) -> None:
    store = Store(tmp_path)
    errors: list[BaseException] = []

    def write() -> None:
        try:
            store.artifacts.write(FP, {"metrics": ("metrics", {"a": 1})}, {})
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=write) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert store.artifacts.read(FP, "metrics") == {"a": 1}
    assert not list((tmp_path / "tmp").iterdir())


def test_file_hashes_are_cached_by_size_and_mtime(tmp_path: Path) -> None:
    store = Store(tmp_path / "store")
    data = tmp_path / "data.csv"
    data.write_text("a,b\n1,2\n")
    first = store.hash_file(data)
    stat = data.stat()
    assert store.metadata.cached_file_hash(str(data.resolve()), stat.st_size, stat.st_mtime_ns) == first
    data.write_text("a,b\n1,3\n")
    os.utime(data, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10_000_000))
    assert store.hash_file(data) != first


def test_run_records_are_written_in_one_transaction(tmp_path: Path) -> None:
    from assay.store import TaskRecord

    store = Store(tmp_path)
    store.metadata.start_run("r1", "train", "assay run", ["model.C=2"], "a: 1\n", None, 2)
    store.metadata.finish_run("r1", "succeeded", [
        TaskRecord("load", "load_dataset", FP, "cached", "cached"),
        TaskRecord("train", "train_model", FP, "ran", "new", 1.0, 0.5),
    ], {"accuracy": 1.0})
    run = store.metadata.run("r1")
    assert run is not None
    assert (run["status"], run["n_ran"], run["n_cached"]) == ("succeeded", 1, 1)
    assert json.loads(run["overrides"]) == ["model.C=2"]
    assert [t["node"] for t in store.metadata.tasks("r1")] == ["load", "train"]


def test_a_database_that_is_not_sqlite_is_a_store_error(tmp_path: Path) -> None:
    (tmp_path / "assay.db").write_bytes(b"not a database\n" * 100)
    store = Store.existing(tmp_path)
    with pytest.raises(StoreError, match=r"assay\.db is not an assay store \(file is not a"):
        store.metadata.runs()
    assert store.metadata._connection is None  # nothing half-open is kept
    with pytest.raises(StoreError) as again:
        store.metadata.runs()
    assert again.value.hint and "move assay.db aside" in str(again.value)


def test_an_existing_store_is_required_where_one_must_be_read(tmp_path: Path) -> None:
    with pytest.raises(MissingStoreError, match="no assay store at"):
        Store.existing(tmp_path / "missing")
    assert not (tmp_path / "missing").exists()
    Store(tmp_path / "made").metadata.runs()
    assert Store.existing(tmp_path / "made").metadata.runs() == []
