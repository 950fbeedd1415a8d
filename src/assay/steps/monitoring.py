"""Profiling the training data (so later drift checks never read it again), and a drift
check usable as a step of any pipeline."""

from __future__ import annotations

from typing import Any

from assay.artifacts import Dataset, Metrics, Model
from assay.catalog import step
from assay.config.schema import DRIFT_SHARE, MIN_ROWS

REFERENCE_SAMPLE = 5000
"""Raw values kept per numeric column: Kolmogorov-Smirnov against a reference is exact
up to this many rows (Evidently's rule uses it up to 1,000)."""


@step(outputs={"profile": Metrics})
def profile_data(data: Dataset, model: Model, reference: Metrics) -> Metrics:
    """The reference profile of ``data`` and of ``model``'s predictions on it: per column,
    histograms on fixed bin edges, category counts, moments, missing values and a
    bounded sample.

    ``reference`` is ``data``'s own profile (a ``profile_dataset`` output): it depends on
    the data alone, so the jobs of a sweep that train on one split share it, and only the
    prediction column is profiled per model.
    """
    from assay.monitor.profiling import reference_profile, to_json
    from assay.monitor.scoring import PREDICTION, Scorer

    if not len(data.frame):  # a model refuses to predict for no rows
        return Metrics(dict(reference))
    scorer = Scorer(lambda: model, _features(data), data.target, data.task)
    predicted = scorer.predictions(data.frame)[0].to_frame(PREDICTION)
    columns = to_json(reference_profile(predicted, sample=REFERENCE_SAMPLE))
    return Metrics({**reference, "columns": {**reference["columns"], **columns}})


@step(outputs={"profile": Metrics})
def profile_dataset(data: Dataset) -> Metrics:
    """The reference profile of ``data`` alone (no model): for drift checks in a pipeline."""
    return _profile_metrics(data, data.frame)


def _features(data: Dataset) -> list[str]:
    return [str(c) for c in data.frame.columns if c != data.target]


def _profile_metrics(data: Dataset, frame: Any) -> Metrics:
    """What a profile step stores: ``frame``'s profile (``data`` itself, or with the
    predictions added) and what ``data`` is."""
    from assay.monitor.profiling import reference_profile, to_json

    return Metrics({"rows": len(data.frame), "target": data.target, "task": data.task,
                    "features": _features(data),
                    "columns": to_json(reference_profile(frame, sample=REFERENCE_SAMPLE))})


@step(outputs={"drift": Metrics}, name="check_drift")
def check_drift_step(
    reference: Metrics,
    current: Dataset,
    *,
    drift_share: float = DRIFT_SHARE,
    correction: str | None = None,
    min_rows: int = MIN_ROWS,
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
