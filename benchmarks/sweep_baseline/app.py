"""The baseline of benchmarks/sweep.py: a plain Hydra app, one job = load + featurize + fit.

Run with Hydra's basic launcher, every job reads the data, splits it and fits the
scaler again, one job after another: a Hydra multirun without assay.
"""

from __future__ import annotations

import hydra
from omegaconf import DictConfig


@hydra.main(config_path="conf", config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> float:
    """Reads the data file (CSV or Parquet), splits, scales, fits and returns the test ROC AUC."""
    import pandas as pd
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import MinMaxScaler, StandardScaler

    frame = pd.read_csv(cfg.path) if cfg.path.endswith(".csv") else pd.read_parquet(cfg.path)
    labels = frame.pop("target")
    train_x, test_x, train_y, test_y = train_test_split(
        frame, labels, test_size=0.25, random_state=0, stratify=labels
    )
    scaler = StandardScaler() if cfg.features == "standard" else MinMaxScaler()
    model = LogisticRegression(C=cfg.C, max_iter=1000).fit(scaler.fit_transform(train_x), train_y)
    return float(roc_auc_score(test_y, model.predict_proba(scaler.transform(test_x))[:, 1]))


if __name__ == "__main__":
    main()
