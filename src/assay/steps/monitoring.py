"""Profiling the training data, so later drift checks never read it again."""

from __future__ import annotations

from assay.artifacts import Dataset, Metrics
from assay.catalog import step

REFERENCE_SAMPLE = 5000
"""Raw values kept per numeric column: Kolmogorov-Smirnov against a reference is exact
up to this many rows (Evidently's rule uses it up to 1,000)."""


@step(outputs={"profile": Metrics})
def profile_data(data: Dataset) -> Metrics:
    """The reference profile of ``data``: per column, histograms on fixed bin edges,
    category counts, moments, missing values and a bounded sample."""
    from assay.monitor.profiling import reference_profile, to_json

    profiles = reference_profile(data.frame, sample=REFERENCE_SAMPLE)
    return Metrics({"rows": len(data.frame), "target": data.target, "task": data.task,
                    "columns": to_json(profiles)})
