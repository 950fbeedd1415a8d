"""The store: artifacts by fingerprint on disk, run metadata in SQLite."""

from __future__ import annotations

from pathlib import Path

from assay.errors import MissingStoreError, Problem
from assay.store.artifacts import ArtifactStore, Manifest, OutputRecord
from assay.store.files import FileHasher
from assay.store.metadata import MetadataStore, TaskRecord


class Store:
    """One workspace's state under ``root`` (``.assay`` by default).

    Attributes:
        root: The store directory.
        artifacts: Content-addressed artifact entries.
        metadata: The SQLite database of runs, tasks and history.
        hash_file: Content hashes of data files, cached by size and mtime.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).absolute()
        self.artifacts = ArtifactStore(self.root)
        self.metadata = MetadataStore(self.root / "assay.db")
        self.hash_file = FileHasher(self.metadata)

    @classmethod
    def existing(cls, root: str | Path) -> Store:
        """The store an ``assay run`` wrote under ``root``; never creates one.

        Raises:
            MissingStoreError: when ``root`` holds no ``assay.db``.
        """
        if not (Path(root) / "assay.db").is_file():
            raise MissingStoreError(Problem(
                f"no assay store at {root}",
                key="--store",
                expected="a directory an `assay run` has written (it holds assay.db)",
                hint="run `assay run` first, or pass --store DIR"))
        return cls(root)

    def logs_dir(self, run_id: str) -> Path:
        """Where the task logs of one run are written."""
        return self.root / "logs" / run_id

    def close(self) -> None:
        """Closes the database connection."""
        self.metadata.close()


__all__ = ["ArtifactStore", "Manifest", "MetadataStore", "OutputRecord", "Store", "TaskRecord"]
