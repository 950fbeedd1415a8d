"""How each kind of artifact is written to and read from bytes.

Datasets are Parquet (the target and task ride in the schema metadata), metrics are
JSON, fitted estimators are pickles read back through an allow-list
(:mod:`assay.store.safe_pickle`), so loading one cannot run arbitrary code.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from assay.artifacts import Dataset
from assay.errors import StoreError
from assay.store import safe_pickle

FORMAT_VERSION = 1


class Codec(Protocol):
    """Serialises one kind of value."""

    @property
    def name(self) -> str:
        """Recorded in manifests to pick the reader."""

    @property
    def suffix(self) -> str:
        """File name suffix of stored outputs."""

    def handles(self, kind: str, value: Any) -> bool:
        """Whether this codec can write ``value`` of artifact ``kind``."""

    def dumps(self, value: Any) -> tuple[bytes, dict[str, Any]]:
        """The bytes to store, and metadata needed to read them back."""

    def loads(self, data: bytes, meta: Mapping[str, Any]) -> Any:
        """The value ``data`` encodes."""


@dataclass(frozen=True)
class ParquetDatasetCodec:
    """A :class:`Dataset` as one Parquet file."""

    name: str = "parquet"
    suffix: str = ".parquet"

    def handles(self, kind: str, value: Any) -> bool:
        return kind == "dataset" and isinstance(value, Dataset)

    def dumps(self, value: Any) -> tuple[bytes, dict[str, Any]]:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(value.frame, preserve_index=False)
        described = {"target": value.target, "task": value.task, "name": value.name}
        metadata = {**(table.schema.metadata or {}), b"assay": json.dumps(described).encode()}
        buffer = io.BytesIO()
        # Dictionary-encoding float columns almost never pays and made writing 200,000 rows
        # of floats 13x slower (0.47 s against 0.035 s); it stays on for the other columns.
        dictionary = [f.name for f in table.schema if not pa.types.is_floating(f.type)]
        pq.write_table(table.replace_schema_metadata(metadata), buffer, compression="lz4",
                       use_dictionary=dictionary)
        return buffer.getvalue(), {**described, "rows": table.num_rows}

    def loads(self, data: bytes, meta: Mapping[str, Any]) -> Any:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pq.read_table(pa.BufferReader(data))
        described = json.loads((table.schema.metadata or {}).get(b"assay", b"{}"))
        return Dataset(
            frame=table.to_pandas(),
            target=described.get("target", meta.get("target")),
            task=described.get("task", meta.get("task")),
            name=described.get("name", meta.get("name", "dataset")),
        )


@dataclass(frozen=True)
class JsonCodec:
    """Metrics (any JSON-serialisable mapping) as JSON text."""

    name: str = "json"
    suffix: str = ".json"

    def handles(self, kind: str, value: Any) -> bool:
        return kind == "metrics" and isinstance(value, Mapping)

    def dumps(self, value: Any) -> tuple[bytes, dict[str, Any]]:
        return json.dumps(value, indent=1, sort_keys=True, allow_nan=True).encode(), {}

    def loads(self, data: bytes, meta: Mapping[str, Any]) -> Any:
        return json.loads(data)


@dataclass(frozen=True)
class EstimatorCodec:
    """Fitted estimators and transformers, pickled and loaded through an exact allow-list.

    What the loader trusts comes from assay and the project's config only: the
    manifest's metadata is written by whoever wrote the artifact, so nothing in it
    (such as the ``packages`` older versions recorded) widens the list.
    """

    name: str = "pickle"
    suffix: str = ".pkl"

    def handles(self, kind: str, value: Any) -> bool:
        return kind in ("model", "transformer")

    def dumps(self, value: Any) -> tuple[bytes, dict[str, Any]]:
        return safe_pickle.dumps(value), {"type": _qualified_name(value)}

    def loads(self, data: bytes, meta: Mapping[str, Any]) -> Any:
        """Unpickles ``data``; ``meta["source"]``, when given, names it in messages.

        Raises:
            UnsafeArtifactError: when the pickle names a global that is not allowed.
        """
        return safe_pickle.loads(data, source=str(meta.get("source", "the pickle")))


def _qualified_name(value: Any) -> str:
    kind = type(value)
    return f"{kind.__module__}.{kind.__qualname__}"


CODECS: list[Codec] = [ParquetDatasetCodec(), JsonCodec(), EstimatorCodec()]
"""Tried in order at write time; later issues append codecs (torch state dicts, ...)."""


def codec_for(kind: str, value: Any) -> Codec:
    """The first codec that can write ``value`` as ``kind``.

    Raises:
        StoreError: when no codec handles it.
    """
    for codec in CODECS:
        if codec.handles(kind, value):
            return codec
    raise StoreError(
        f"no codec can store a {type(value).__qualname__} as a '{kind}' artifact; "
        "register one in assay.store.codecs.CODECS"
    )


def codec_named(name: str) -> Codec:
    """The codec recorded in a manifest.

    Raises:
        StoreError: for a codec this version of assay does not know.
    """
    for codec in CODECS:
        if codec.name == name:
            return codec
    raise StoreError(f"unknown artifact codec '{name}' (written by a newer assay?)")
