"""Profiling the training data, so later drift checks never read it again."""

from __future__ import annotations

from assay.artifacts import Dataset, Metrics, Model
from assay.catalog import step

REFERENCE_SAMPLE = 5000
"""Raw values kept per numeric column: Kolmogorov-Smirnov against a reference is exact
up to this many rows (Evidently's rule uses it up to 1,000)."""


@step(outputs={"profile": Metrics})
def profile_data(data: Dataset, model: Model) -> Metrics:
    """The reference profile of ``data`` and of ``model``'s predictions on it: per column,
    histograms on fixed bin edges, category counts, moments, missing values and a
    bounded sample."""
    from assay.monitor.profiling import reference_profile, to_json
    from assay.monitor.scoring import Scorer, prediction_frame

    features = [str(c) for c in data.frame.columns if c != data.target]
    scorer = Scorer(lambda: model, features, data.target, data.task)
    scored, _ = prediction_frame(data.frame, scorer)
    return Metrics({"rows": len(data.frame), "target": data.target, "task": data.task,
                    "features": features,
                    "columns": to_json(reference_profile(scored, sample=REFERENCE_SAMPLE))})
