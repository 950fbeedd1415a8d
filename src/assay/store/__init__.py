"""The store: artifacts by fingerprint on disk, run metadata in SQLite."""

from __future__ import annotations

from pathlib import Path

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

    def logs_dir(self, run_id: str) -> Path:
        """Where the task logs of one run are written."""
        return self.root / "logs" / run_id

    def close(self) -> None:
        """Closes the database connection."""
        self.metadata.close()


__all__ = ["ArtifactStore", "Manifest", "MetadataStore", "OutputRecord", "Store", "TaskRecord"]
