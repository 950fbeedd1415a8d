"""The Python half of gpu_check.sh: CUDA + bf16 against the CPU on one MLP.

Trains the same MLP (seeded alike) on 100,000 synthetic rows on the GPU in bf16 and
on the CPU in 32-bit, scores both on held-out rows, fails when accuracy or ROC AUC
differ by more than TOLERANCE, and prints training rows/s on each device.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import torch
from sklearn.datasets import make_classification
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.model_selection import train_test_split

from assay.torch import MLPClassifier

TOLERANCE = 0.01
EPOCHS = 10


def _model(device: str, precision: str, epochs: int) -> MLPClassifier:
    return MLPClassifier(hidden_sizes=[256, 128], batch_size=512, epochs=epochs, patience=None,
                         device=device, precision=precision, seed=0)


def main() -> int:
    if not torch.cuda.is_available():
        print("gpu_check: torch sees no CUDA device (is this the CPU build of torch? "
              "rm .venv/.installed-torch and rerun with TORCH_INDEX set to a CUDA index, "
              "e.g. https://download.pytorch.org/whl/cu126)")
        return 1
    x, y = make_classification(100_000, 32, n_informative=16, random_state=0)
    x = x.astype(np.float32)
    train_x, test_x, train_y, test_y = train_test_split(x, y, test_size=0.2, random_state=0)
    results = {}
    for device, precision in (("cuda", "bf16"), ("cpu", "32")):
        # Warm-up: the first fit on a device pays one-off set-up (the CUDA context, kernel
        # loading), which is no part of training throughput.
        _model(device, precision, epochs=1).fit(train_x[:2000], train_y[:2000])
        model = _model(device, precision, epochs=EPOCHS)
        start = time.perf_counter()
        model.fit(train_x, train_y)
        elapsed = time.perf_counter() - start
        scores = model.predict_proba(test_x)[:, 1]
        results[device] = {
            "rows_per_s": len(train_x) * 0.9 * EPOCHS / elapsed,
            "accuracy": accuracy_score(test_y, scores > 0.5),
            "roc_auc": roc_auc_score(test_y, scores),
            "trained_on": model.trained_on_,
        }
        print(f"{device} ({precision}): {results[device]}")
    gpu, cpu = results["cuda"], results["cpu"]
    assert gpu["trained_on"].startswith("cuda"), gpu
    ok = all(abs(gpu[m] - cpu[m]) <= TOLERANCE for m in ("accuracy", "roc_auc"))
    print(f"GPU {gpu['rows_per_s']:,.0f} rows/s vs CPU {cpu['rows_per_s']:,.0f} rows/s "
          f"({gpu['rows_per_s'] / cpu['rows_per_s']:.1f}x); metrics "
          f"{'agree' if ok else 'DIFFER'} within {TOLERANCE}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
