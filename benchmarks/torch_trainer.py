"""Trainer throughput against a minimal hand-written torch loop (target: at least 0.95x).

Both train the same MLP (32 → 64 → 32 → 2, ReLU, dropout 0.1) with AdamW, lr 1e-3,
batch 128, for the same epochs on the same 45,000 training rows of a 50,000-row
synthetic table, on the CPU. assay's trainer also validates on the 5,000 held-out
rows after every epoch (early stopping needs it) and keeps the best weights; that
work is inside its time. Throughput is training rows per second; the two run
alternately (each going first in half of the ROUNDS), and the medians are compared.

    python benchmarks/torch_trainer.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import record

ROWS, FEATURES, EPOCHS, BATCH, ROUNDS = 50_000, 32, 5, 128, 6


def data() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import make_classification

    x, y = make_classification(ROWS, FEATURES, n_informative=16, random_state=0)
    return x.astype(np.float32), y.astype(np.int64)


def hand_written(x: np.ndarray, y: np.ndarray) -> float:
    """The loop anyone would write: shuffle, batch, forward, loss, backward, step."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(FEATURES, 64), nn.ReLU(), nn.Dropout(0.1),
                          nn.Linear(64, 32), nn.ReLU(), nn.Dropout(0.1), nn.Linear(32, 2))
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    rows = int(len(x) * 0.9)
    features, targets = torch.as_tensor(x[:rows]), torch.as_tensor(y[:rows])
    generator = torch.Generator().manual_seed(0)
    start = time.perf_counter()
    model.train()
    for _ in range(EPOCHS):
        order = torch.randperm(rows, generator=generator)
        for begin in range(0, rows, BATCH):
            batch = order[begin:begin + BATCH]
            optimizer.zero_grad()
            loss = loss_fn(model(features[batch]), targets[batch])
            loss.backward()
            optimizer.step()
    return rows * EPOCHS / (time.perf_counter() - start)


def trainer(x: np.ndarray, y: np.ndarray) -> float:
    """assay's trainer through the scikit-learn estimator (validation included)."""
    from assay.torch import MLPClassifier

    model = MLPClassifier(hidden_sizes=[64, 32], dropout=0.1, lr=1e-3, batch_size=BATCH,
                          epochs=EPOCHS, patience=None, validation_fraction=0.1, device="cpu")
    start = time.perf_counter()
    model.fit(x, y)
    elapsed = time.perf_counter() - start
    assert len(model.history_) == EPOCHS
    return int(len(x) * 0.9) * EPOCHS / elapsed


def main() -> None:
    x, y = data()
    trainer(x[:2000], y[:2000])  # warm-up: first calls pay one-off set-up on both sides
    hand_written(x[:2000], y[:2000])
    ours, theirs = [], []
    for round_ in range(ROUNDS):  # alternating which goes first, so neither gets a warmer CPU
        if round_ % 2:
            ours.append(trainer(x, y))
            theirs.append(hand_written(x, y))
        else:
            theirs.append(hand_written(x, y))
            ours.append(trainer(x, y))
    ratio = statistics.median(ours) / statistics.median(theirs)
    print(f"trainer {statistics.median(ours):,.0f} rows/s, hand-written loop "
          f"{statistics.median(theirs):,.0f} rows/s: {ratio:.3f}x (target >= 0.95x)")
    record("torch_trainer", {
        "rows": ROWS, "features": FEATURES, "epochs": EPOCHS, "batch_size": BATCH,
        "torch": torch.__version__, "threads": torch.get_num_threads(),
        "trainer_rows_per_s": [round(v) for v in ours],
        "hand_written_rows_per_s": [round(v) for v in theirs],
        "ratio": round(ratio, 3), "target": 0.95,
    })


if __name__ == "__main__":
    main()
