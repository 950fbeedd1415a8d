"""Every shipped option of the data, features and model groups trains and evaluates."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.helpers import assay

CLASSIFICATION = {"accuracy", "precision_macro", "recall_macro", "f1_macro", "roc_auc", "log_loss",
                  "confusion_matrix", "labels"}
REGRESSION = {"rmse", "mae", "r2"}


def _mixed_frame(rows: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    color = rng.choice(["red", "green", "blue"], rows)
    size = rng.normal(size=rows)
    label = ((color == "red") ^ (size > 0.5)).astype(int)
    return pd.DataFrame({"size": size, "color": color, "flag": size > 0, "label": label})


COMBINATIONS = {
    "wine, minmax, random forest (3 classes)": (
        ["data=wine", "features=minmax", "model=random_forest", "model.n_estimators=20"],
        CLASSIFICATION, ("accuracy", 0.85)),
    "synthetic, passthrough, hist_gbm": (
        ["data=synthetic", "data.n_rows=2000", "features=passthrough", "model=hist_gbm",
         "model.max_iter=20", "model.max_depth=3", "model.learning_rate=0.2"],
        CLASSIFICATION | {"precision", "recall", "f1"}, ("roc_auc", 0.85)),
    "diabetes, standard, ridge": (
        ["data=diabetes", "model=ridge"], REGRESSION, ("r2", 0.3)),
    "synthetic regression, passthrough, hist_gbm_regressor": (
        ["data=synthetic", "data.task=regression", "data.n_rows=2000", "features=passthrough",
         "model=hist_gbm_regressor", "model.max_iter=30"], REGRESSION, ("r2", 0.6)),
    "csv with categories, onehot_standard, logistic": (
        ["data=csv", "data.path=mixed.csv", "data.target=label", "features=onehot_standard"],
        CLASSIFICATION | {"f1"}, ("accuracy", 0.8)),
    "parquet folder, onehot_standard, random forest": (
        ["data=parquet", "data.path=parts", "data.target=label", "features=onehot_standard",
         "model=random_forest", "model.n_estimators=30"],
        CLASSIFICATION, ("accuracy", 0.8)),
}


@pytest.mark.parametrize("name", list(COMBINATIONS))
def test_option_combination_trains_and_evaluates(project: Path, name: str) -> None:
    overrides, expected_keys, (metric, floor) = COMBINATIONS[name]
    frame = _mixed_frame()
    frame.to_csv(project / "mixed.csv", index=False)
    (project / "parts").mkdir()
    for index in range(3):
        frame.iloc[index::3].to_parquet(project / "parts" / f"part-{index}.parquet", index=False)

    result = assay("run", "executor=threads", *overrides, cwd=project)
    assert result.returncode == 0, result.stderr
    assert "9 steps: 9 ran" in result.stdout
    metrics = json.loads(sorted(project.glob("outputs/*/*/metrics.json"))[-1].read_text())
    assert expected_keys <= set(metrics), expected_keys - set(metrics)
    assert metrics[metric] > floor, metrics


def test_cross_validation_reports_mean_and_spread(project: Path) -> None:
    result = assay("run", "executor=threads", "data=diabetes", "model=ridge",
                   "evaluate.cv_folds=4", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "14 steps: 14 ran" in result.stdout  # 9 + 4 folds + their summary
    metrics = json.loads(sorted(project.glob("outputs/*/*/metrics.json"))[-1].read_text())
    assert metrics["cv_folds"] == 4
    assert metrics["cv_r2_std"] > 0 and 0.2 < metrics["cv_r2_mean"] < 0.7
    assert {"cv_rmse_mean", "cv_rmse_std", "cv_mae_mean", "cv_mae_std"} <= set(metrics)
