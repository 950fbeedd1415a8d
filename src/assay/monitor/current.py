"""Profiling current data partition by partition on Dask, merging as it goes.

A Parquet file or folder is cut at row groups, a CSV file read in chunks; each piece
is profiled on the reference's bin edges by a Dask task (scored by the model first,
when one is given) and the partial profiles are merged pairwise on the workers, so no
process holds more than a few pieces and their profiles: data larger than memory is
checked in bounded memory.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from assay.monitor.performance import Quality
from assay.monitor.profile import ColumnProfile
from assay.monitor.profiling import Profiles, current_profile, merged
from assay.monitor.scoring import Scorer, prediction_frame

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


Piece = tuple[Profiles, Quality | None]


def profile_piece(file: str, group: int | None, reference: Mapping[str, ColumnProfile],
                  scorer: Scorer | None = None) -> Piece:
    """The profile of one row group (or of a whole CSV file, read in chunks), with the
    model's predictions as one more column and their quality when labels are present."""
    import pandas as pd

    wanted = set(reference) | ({scorer.target, *scorer.features} if scorer else set())
    if group is None:
        chunks = pd.read_csv(file, usecols=lambda c: c in wanted, chunksize=CSV_CHUNK_ROWS)
        return _merge_pieces([_profiled(chunk, reference, scorer) for chunk in chunks])
    import pyarrow.parquet as pq

    handle = pq.ParquetFile(file)
    present = [c for c in handle.schema_arrow.names if c in wanted]
    return _profiled(handle.read_row_group(group, columns=present).to_pandas(), reference,
                     scorer)


def _profiled(frame: Any, reference: Mapping[str, ColumnProfile], scorer: Scorer | None) -> Piece:
    scored, quality = prediction_frame(frame, scorer)
    return current_profile(scored, reference, sample=CURRENT_SAMPLE), quality


def _merge_pieces(parts: list[Piece]) -> Piece:
    profiles = merged(p for p, _ in parts)
    qualities = [q for _, q in parts if q is not None]
    for other in qualities[1:]:
        qualities[0].merge(other)
    return profiles, (qualities[0] if qualities else None)


def _merge_two(left: Piece, right: Piece) -> Piece:
    return _merge_pieces([left, right])


def profile_on_dask(path: Path, reference: Mapping[str, ColumnProfile], client: Any = None,
                    scheduler: str = "threads",
                    scorer: Scorer | None = None) -> tuple[Profiles, Quality | None, int]:
    """The merged profile of everything at ``path``, the model's quality on it (when it
    has labels and a ``scorer`` is given), and how many pieces it was cut into.

    ``client`` is a ``distributed`` client to run on; without one, Dask's ``scheduler``.
    """
    from dask.base import compute
    from dask.delayed import delayed

    found = pieces(path)
    if not found:
        return {}, None, 0
    level = [delayed(profile_piece)(file, group, reference, scorer) for file, group in found]
    while len(level) > 1:  # a merge tree: every merge runs on a worker, two inputs at a time
        level = [delayed(_merge_two)(*level[i:i + 2]) if i + 1 < len(level) else level[i]
                 for i in range(0, len(level), 2)]
    if client is not None:
        profiles, quality = client.compute(level[0]).result()
    else:
        ((profiles, quality),) = compute(level[0], scheduler=scheduler)  # type: ignore[no-untyped-call]
    return profiles, quality, len(found)


def reference_from_file(path: Path, seed: int = 0) -> Profiles:
    """A reference profile of a Parquet file or folder too large to load at once.

    Two passes, one row group in memory at a time: the first draws a uniform sample of
    each numeric column and fixes its bin edges from the sample's quantiles; the second
    counts every value on those edges (and every category).
    """
    import numpy as np
    import pandas as pd
    import pyarrow.parquet as pq

    from assay.monitor.profile import SAMPLE, CategoricalProfile, NumericProfile, numeric_edges

    found = pieces(path)
    rng = np.random.default_rng(seed)
    samples: dict[str, NumericProfile | None] = {}  # None: a categorical column
    for file, group in found:
        frame = pq.ParquetFile(file).read_row_group(group).to_pandas()
        for name in frame.columns:
            column = frame[name]
            if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
                gathered = samples.setdefault(str(name), NumericProfile(
                    np.array([0.0, 1.0]), np.zeros(3, np.int64), limit=SAMPLE))
                assert gathered is not None
                gathered.add(column.to_numpy(dtype=float, na_value=np.nan), rng)
            else:
                samples[str(name)] = None
    shapes: Profiles = {}
    for name, gathered in samples.items():  # in the file's column order
        if gathered is None:
            shapes[name] = CategoricalProfile()
            continue
        edges = numeric_edges(gathered.sample)
        shapes[name] = NumericProfile(edges, np.zeros(len(edges) + 1, np.int64), limit=SAMPLE)
    return merged(current_profile(pq.ParquetFile(file).read_row_group(group).to_pandas(),
                                  shapes, seed) for file, group in found)
