"""Profiling the training data (so later drift checks never read it again), and a drift
check usable as a step of any pipeline."""

from __future__ import annotations

from assay.artifacts import Dataset, Metrics, Model
from assay.catalog import step
from assay.config.schema import DRIFT_SHARE

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


@step(outputs={"profile": Metrics})
def profile_dataset(data: Dataset) -> Metrics:
    """The reference profile of ``data`` alone (no model): for drift checks in a pipeline."""
    from assay.monitor.profiling import reference_profile, to_json

    return Metrics({"rows": len(data.frame), "target": data.target, "task": data.task,
                    "features": [str(c) for c in data.frame.columns if c != data.target],
                    "columns": to_json(reference_profile(data.frame, sample=REFERENCE_SAMPLE))})


@step(outputs={"drift": Metrics}, name="check_drift")
def check_drift_step(
    reference: Metrics,
    current: Dataset,
    *,
    drift_share: float = DRIFT_SHARE,
    correction: str | None = None,
    min_rows: int = 30,
) -> Metrics:
    """Drift of ``current`` against a ``reference`` profile (a ``profile_data`` output):
    per column the test, its value, the threshold and the verdict, and the dataset's."""
    from assay.config.schema import CORRECTIONS
    from assay.errors import ConfigError, Problem, one_of
    from assay.monitor.check import DriftSettings, check_drift
    from assay.monitor.profiling import current_profile, from_json
    from assay.monitor.scoring import PREDICTION

    if correction is not None and correction not in CORRECTIONS:
        raise ConfigError(Problem(f"unknown correction '{correction}'", key="correction",
                                  expected=one_of(CORRECTIONS)))
    profiles = {k: v for k, v in from_json(reference["columns"]).items() if k != PREDICTION}
    result = check_drift(profiles, current_profile(current.frame, profiles),
                         DriftSettings(drift_share=drift_share, correction=correction,
                                       min_rows=min_rows))
    return Metrics(result.to_json())
