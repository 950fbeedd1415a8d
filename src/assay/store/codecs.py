"""How each kind of artifact is written to and read from bytes.

Datasets are Parquet (the target and task ride in the schema metadata), metrics are
JSON, fitted scikit-learn objects use skops, whose loader only rebuilds types it is
told to trust instead of running arbitrary code as pickle would. The trusted types
of an estimator are the ones recorded when it was written; the recorded checksum
guarantees the bytes are those same ones.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from assay.artifacts import Dataset
from assay.errors import StoreError

FORMAT_VERSION = 1


class Codec(Protocol):
    """Serialises one kind of value."""

    name: str
    suffix: str

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
        pq.write_table(table.replace_schema_metadata(metadata), buffer)
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
class SkopsCodec:
    """Fitted scikit-learn estimators and transformers in the skops format."""

    name: str = "skops"
    suffix: str = ".skops"

    def handles(self, kind: str, value: Any) -> bool:
        return kind in ("model", "transformer") and hasattr(value, "get_params")

    def dumps(self, value: Any) -> tuple[bytes, dict[str, Any]]:
        import skops.io

        data = skops.io.dumps(value)
        return data, {"trusted": sorted(skops.io.get_untrusted_types(data=data)),
                      "versions": _library_versions()}

    def loads(self, data: bytes, meta: Mapping[str, Any]) -> Any:
        import skops.io

        return skops.io.loads(data, trusted=list(meta.get("trusted", [])))


def _library_versions() -> dict[str, str]:
    import sklearn

    return {"scikit-learn": sklearn.__version__}


CODECS: list[Codec] = [ParquetDatasetCodec(), JsonCodec(), SkopsCodec()]
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
