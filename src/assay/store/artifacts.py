"""Content-addressed artifact storage: one directory per node fingerprint.

Layout: ``<root>/artifacts/ab/abcdef…/`` holds one file per output and a
``manifest.json`` listing each file's size and sha256. An entry is written into a
temporary directory and renamed into place in one step, so a reader sees either no
entry or a complete one; a crash leaves only a temporary directory that is never
read. An entry whose files do not match its manifest (a wrong size, a missing file,
a checksum that differs where the output is read) is a cache miss, never a crash: the
fresh result replaces it and the damaged copy is moved to ``artifacts/.corrupt`` for
study.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import shutil
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assay.errors import CorruptArtifactError
from assay.store.canonical import canonical_pickle
from assay.store.codecs import FORMAT_VERSION, codec_for, codec_named
from assay.store.memory import recall, remember

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class OutputRecord:
    """One stored output, as listed in a manifest."""

    name: str
    kind: str
    codec: str
    file: str
    size: int
    sha256: str
    meta: Mapping[str, Any]


@dataclass(frozen=True)
class Manifest:
    """What one entry holds and how it was made."""

    fingerprint: str
    outputs: Mapping[str, OutputRecord]
    info: Mapping[str, Any]

    def to_json(self) -> dict[str, Any]:
        """The manifest as written to disk."""
        return {
            "format": FORMAT_VERSION,
            "fingerprint": self.fingerprint,
            "info": dict(self.info),
            "outputs": {
                name: {
                    "kind": r.kind, "codec": r.codec, "file": r.file, "size": r.size,
                    "sha256": r.sha256, "meta": dict(r.meta),
                }
                for name, r in self.outputs.items()
            },
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Manifest:
        """Parses a manifest; raises KeyError or TypeError when it is malformed."""
        outputs = {
            name: OutputRecord(name, o["kind"], o["codec"], o["file"], int(o["size"]),
                               o["sha256"], o.get("meta", {}))
            for name, o in data["outputs"].items()
        }
        return cls(data["fingerprint"], outputs, data.get("info", {}))


class ArtifactStore:
    """Reads and writes entries under ``<root>/artifacts``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.artifacts = self.root / "artifacts"
        self.scratch = self.root / "tmp"

    def entry_dir(self, fingerprint: str) -> Path:
        """``artifacts/ab/abcdef…``: sharded so no directory grows too large."""
        return self.artifacts / fingerprint[:2] / fingerprint

    def resume_dir(self, fingerprint: str) -> Path:
        """Where a running task keeps state to resume from if it is killed (checkpoints)."""
        return self.root / "resume" / fingerprint[:2] / fingerprint

    def manifest(self, fingerprint: str) -> Manifest | None:
        """The entry's manifest, or None when absent or unreadable."""
        try:
            return self._read_manifest(fingerprint)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as error:
            log.warning("unreadable manifest %s (%s): treated as a cache miss",
                        self.entry_dir(fingerprint) / MANIFEST, error)
            return None

    def _read_manifest(self, fingerprint: str) -> Manifest:
        """The entry's manifest; raises what reading or parsing it raised."""
        path = self.entry_dir(fingerprint) / MANIFEST
        return Manifest.from_json(json.loads(path.read_bytes()))

    def exists(self, fingerprint: str) -> bool:
        """Whether anything, complete, damaged or partial, is stored under ``fingerprint``."""
        return self.entry_dir(fingerprint).exists()

    def published(self, fingerprint: str) -> bool:
        """Whether the entry has a manifest: it was complete once (a partial one never was)."""
        return (self.entry_dir(fingerprint) / MANIFEST).exists()

    def problem(
        self, fingerprint: str, outputs: Iterable[str] = (), *, checksums: bool = False
    ) -> str | None:
        """What is wrong with an entry, or None when it is complete.

        Every file the manifest lists must have its recorded size (and, with
        ``checksums``, its recorded sha256), and every name in ``outputs`` must be listed.
        An absent entry is a problem too (``no entry``); :meth:`exists` tells it apart
        from a damaged one.

        Args:
            fingerprint: The entry.
            outputs: Output names the entry must hold.
            checksums: Also read every file and compare its sha256 (slower: reads it all).
        """
        if not self.exists(fingerprint):
            return "no entry"
        try:
            manifest = self._read_manifest(fingerprint)
        except FileNotFoundError:
            return f"{MANIFEST} is missing"
        except (OSError, ValueError, KeyError, TypeError) as error:
            return f"{MANIFEST} is unreadable ({type(error).__name__}: {error})"
        if manifest.fingerprint != fingerprint:
            return f"{MANIFEST} names another fingerprint ({manifest.fingerprint[:12]})"
        missing = [name for name in outputs if name not in manifest.outputs]
        if missing:
            return f"output '{missing[0]}' is not in {MANIFEST}"
        directory = self.entry_dir(fingerprint)
        for record in manifest.outputs.values():
            path = directory / record.file
            try:
                size = path.stat().st_size
            except FileNotFoundError:
                return f"{record.file} is missing"
            except OSError as error:
                return f"{record.file} cannot be read ({error.strerror or error})"
            if size != record.size:
                return f"{record.file} is {size} bytes, {MANIFEST} records {record.size}"
            if checksums:
                try:
                    sha256 = file_sha256(path)
                except OSError as error:
                    return f"{record.file} cannot be read ({error.strerror or error})"
                if sha256 != record.sha256:
                    return f"{record.file} does not match its recorded sha256"
        return None

    def is_complete(self, fingerprint: str, outputs: list[str]) -> bool:
        """Cheap check: manifest present, lists ``outputs``, every file has its recorded size."""
        return self.problem(fingerprint, outputs) is None

    def verify(self, fingerprint: str) -> bool:
        """Full check: every file's checksum matches. A failing entry is moved aside."""
        problem = self.problem(fingerprint, checksums=True)
        if problem is None:
            return True
        self.quarantine(fingerprint, problem)
        return False

    def fingerprints(self) -> Iterator[str]:
        """Every stored entry's fingerprint (damaged ones too; quarantined ones not)."""
        if not self.artifacts.is_dir():
            return
        for shard in sorted(self.artifacts.iterdir()):
            if len(shard.name) != 2 or not shard.is_dir():  # .corrupt and strays
                continue
            for entry in sorted(shard.iterdir()):
                if entry.is_dir() and entry.name.startswith(shard.name):
                    yield entry.name

    def write(
        self,
        fingerprint: str,
        values: Mapping[str, tuple[str, Any]],
        info: Mapping[str, Any],
        links: Mapping[str, tuple[str, str]] | None = None,
    ) -> Manifest:
        """Stores ``values`` (output name → (kind, value)) as one entry, atomically.

        ``links`` maps further outputs to an existing ``(fingerprint, output)``: an
        output that is an input passed through unchanged is hard-linked, not rewritten.
        When another process stored the same fingerprint first, its entry is kept:
        equal fingerprints mean equal results.
        """
        staging = self.scratch / f"{fingerprint[:16]}-{uuid.uuid4().hex}"
        staging.mkdir(parents=True)
        try:
            records = {}
            for name, (kind, value) in values.items():
                codec = codec_for(kind, value)
                data, meta = codec.dumps(value)
                if codec.name == "pickle":  # one model, one sha256, whichever worker made it
                    data = canonical_pickle(data)
                file = f"{name}{codec.suffix}"
                (staging / file).write_bytes(data)
                records[name] = OutputRecord(
                    name, kind, codec.name, file, len(data), hashlib.sha256(data).hexdigest(), meta
                )
                remember(self.root, fingerprint, name, kind, value)
            for name, (source, output) in (links or {}).items():
                records[name] = self._link(staging, name, source, output)
            manifest = Manifest(fingerprint, records, {**info, "written": time.time()})
            (staging / MANIFEST).write_text(json.dumps(manifest.to_json(), indent=1))
            self._publish(staging, fingerprint, records)
            return self.manifest(fingerprint) or manifest
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)

    def _link(self, staging: Path, name: str, source: str, output: str) -> OutputRecord:
        manifest = self.manifest(source)
        record = manifest.outputs.get(output) if manifest else None
        if record is None:
            raise CorruptArtifactError(f"artifact {source[:12]}/{output} to link is missing")
        file = f"{name}{Path(record.file).suffix}"
        try:
            os.link(self.entry_dir(source) / record.file, staging / file)
        except OSError:  # another filesystem, or links unsupported: copy instead
            shutil.copyfile(self.entry_dir(source) / record.file, staging / file)
        return OutputRecord(name, record.kind, record.codec, file, record.size, record.sha256,
                            record.meta)

    def _publish(self, staging: Path, fingerprint: str, outputs: Iterable[str]) -> None:
        """Renames ``staging`` into place. A complete entry already there is kept (equal
        fingerprints mean equal results); a damaged one is quarantined and replaced."""
        target = self.entry_dir(fingerprint)
        target.parent.mkdir(parents=True, exist_ok=True)
        if self.exists(fingerprint):
            # Checksummed: a same-size alteration must not outlive a fresh result either.
            problem = self.problem(fingerprint, outputs, checksums=True)
            if problem is None:
                log.info("entry %s was stored concurrently; keeping the first", fingerprint[:12])
                return
            self.quarantine(fingerprint, f"{problem}; replaced by a fresh result")
        try:
            os.rename(staging, target)
        except OSError:
            if not target.exists():
                raise
            log.info("entry %s was stored concurrently; keeping the first", fingerprint[:12])

    def read(self, fingerprint: str, output: str) -> Any:
        """Loads one output, verifying its checksum first.

        Raises:
            CorruptArtifactError: when the entry is missing, partial or altered.
        """
        held = recall(self.root, fingerprint, output)
        if held is not None:
            return held
        manifest = self.manifest(fingerprint)
        record = manifest.outputs.get(output) if manifest else None
        if record is None:
            raise CorruptArtifactError(
                f"artifact {fingerprint[:12]}/{output} is missing from the store"
            )
        path = self.entry_dir(fingerprint) / record.file
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CorruptArtifactError(f"cannot read {path}: {error}") from error
        if hashlib.sha256(data).hexdigest() != record.sha256:
            self.quarantine(fingerprint, f"{record.file} checksum mismatch")
            raise CorruptArtifactError(f"{path} does not match its recorded checksum")
        try:
            value = codec_named(record.codec).loads(data, {**record.meta, "source": str(path)})
        except (ValueError, EOFError, pickle.UnpicklingError) as error:
            # The bytes are the recorded ones, so the entry was stored broken: recompute it.
            self.quarantine(fingerprint, f"{record.file} cannot be decoded")
            raise CorruptArtifactError(
                f"{path} cannot be decoded as {record.codec} ({type(error).__name__}: {error})"
            ) from error
        remember(self.root, fingerprint, output, record.kind, value)
        return value

    def quarantine(self, fingerprint: str, reason: str) -> None:
        """Moves a bad entry to ``artifacts/.corrupt`` so it is recomputed and kept for study."""
        source = self.entry_dir(fingerprint)
        if not source.exists():
            return
        log.warning("artifact %s is corrupt (%s): treated as a cache miss", fingerprint[:12], reason)
        destination = self.artifacts / ".corrupt" / f"{fingerprint}-{uuid.uuid4().hex[:8]}"
        destination.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.rename(source, destination)
        except OSError:
            shutil.rmtree(source, ignore_errors=True)

    def clean_scratch(self, older_than_s: float = 3600.0) -> int:
        """Removes staging directories left by crashed writers; returns how many."""
        if not self.scratch.exists():
            return 0
        removed = 0
        cutoff = time.time() - older_than_s
        for entry in self.scratch.iterdir():
            try:
                if entry.stat().st_mtime < cutoff:
                    shutil.rmtree(entry, ignore_errors=True)
                    removed += 1
            except OSError:
                continue
        return removed


def file_sha256(path: Path, chunk: int = 1 << 20) -> str:
    """The sha256 of a file, read in chunks so a large artifact is not held in memory."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(chunk):
            digest.update(block)
    return digest.hexdigest()

