"""Content hashes of data files, recomputed only when size or mtime change."""

from __future__ import annotations

import hashlib
from pathlib import Path

from assay.store.metadata import MetadataStore

_CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    """The sha256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class FileHasher:
    """Hashes files, remembering each hash with the size and mtime it was made for."""

    def __init__(self, metadata: MetadataStore) -> None:
        self.metadata = metadata

    def __call__(self, path: Path) -> str:
        """The content hash of ``path`` (from the cache when the file is unchanged)."""
        stat = path.stat()
        key = str(path.resolve())
        cached = self.metadata.cached_file_hash(key, stat.st_size, stat.st_mtime_ns)
        if cached is not None:
            return cached
        digest = sha256_file(path)
        self.metadata.remember_file_hash(key, stat.st_size, stat.st_mtime_ns, digest)
        return digest
