"""Profiling current data partition by partition on Dask, merging as it goes.

A Parquet file or folder is cut at row groups, a CSV file read in chunks; each piece
is profiled on the reference's bin edges by a Dask task and the partial profiles are
merged pairwise on the workers, so no process holds more than a few pieces and their
profiles: data larger than memory is checked in bounded memory.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from assay.monitor.profile import ColumnProfile
from assay.monitor.profiling import Profiles, current_profile, merged

CSV_CHUNK_ROWS = 500_000
CURRENT_SAMPLE = 20_000
"""Raw values a current profile keeps per numeric column (for Kolmogorov-Smirnov)."""


def pieces(path: Path) -> list[tuple[str, int | None]]:
    """(file, row group) per Parquet row group; (file, None) for a CSV file."""
    import pyarrow.parquet as pq

    files = sorted(p for p in path.rglob("*.parquet") if p.is_file()) if path.is_dir() else [path]
    found: list[tuple[str, int | None]] = []
    for file in files:
        if file.suffix.lower() == ".csv":
            found.append((str(file), None))
        else:
            found.extend((str(file), group) for group in range(pq.ParquetFile(file).num_row_groups))
    return found


def profile_piece(file: str, group: int | None, reference: Mapping[str, ColumnProfile]) -> Profiles:
    """The profile of one row group (or of a whole CSV file, read in chunks)."""
    import pandas as pd

    columns = list(reference)
    if group is None:
        parts = (current_profile(chunk, reference, sample=CURRENT_SAMPLE)
                 for chunk in pd.read_csv(file, usecols=lambda c: c in reference,
                                          chunksize=CSV_CHUNK_ROWS))
        return merged(parts)
    import pyarrow.parquet as pq

    handle = pq.ParquetFile(file)
    present = [c for c in columns if c in handle.schema_arrow.names]
    frame = handle.read_row_group(group, columns=present).to_pandas()
    return current_profile(frame, reference, sample=CURRENT_SAMPLE)


def _merge_two(left: Profiles, right: Profiles) -> Profiles:
    return merged([left, right])


def profile_on_dask(path: Path, reference: Mapping[str, ColumnProfile], client: Any = None,
                    scheduler: str = "threads") -> tuple[Profiles, int]:
    """The merged profile of everything at ``path`` and how many pieces it was cut into.

    ``client`` is a ``distributed`` client to run on; without one, Dask's ``scheduler``.
    """
    from dask.base import compute
    from dask.delayed import delayed

    found = pieces(path)
    if not found:
        return {}, 0
    level = [delayed(profile_piece)(file, group, reference) for file, group in found]
    while len(level) > 1:  # a merge tree: every merge runs on a worker, two inputs at a time
        level = [delayed(_merge_two)(*level[i:i + 2]) if i + 1 < len(level) else level[i]
                 for i in range(0, len(level), 2)]
    if client is not None:
        return client.compute(level[0]).result(), len(found)
    (profile,) = compute(level[0], scheduler=scheduler)  # type: ignore[no-untyped-call]
    return profile, len(found)
