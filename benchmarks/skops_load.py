"""skops' load against assay's allow-list loader, on the same fitted models.

Two models, as the train step stores them: a random forest (200 trees, 5,000 rows x 20
features) and a Pipeline of a ColumnTransformer (StandardScaler on 15 numeric columns,
OneHotEncoder on 5 categorical ones) and a HistGradientBoostingClassifier (100
iterations). Each is written once by each side (assay: ``safe_pickle.dumps``; skops:
``skops.io.dumps``) and loaded back:

* warm: in one process that has already imported everything, median of 7 loads;
* cold: in a fresh process, from the first import of the loader to the loaded model
  (what one worker pays for its first model), median of 3 processes;
* the import of the loader alone in a fresh process (``assay.store.safe_pickle``,
  ``skops.io``), median of 3.

skops is loaded the way its documentation says for untrusted files: the types
``get_untrusted_types`` lists are reviewed and passed as ``trusted``. Plain ``pickle``
is recorded for reference.

    python benchmarks/skops_load.py
"""

from __future__ import annotations

import functools
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import record

WARM_REPEATS = 7
COLD_REPEATS = 3

COLD = {
    "assay": """
import sys, time
start = time.perf_counter()
from assay.store.safe_pickle import loads
loads(open(sys.argv[1], 'rb').read())
print(time.perf_counter() - start)
""",
    "skops": """
import sys, time
start = time.perf_counter()
import skops.io as sio
data = open(sys.argv[1], 'rb').read()
sio.loads(data, trusted=sio.get_untrusted_types(data=data))
print(time.perf_counter() - start)
""",
    "pickle": """
import pickle, sys, time
start = time.perf_counter()
pickle.loads(open(sys.argv[1], 'rb').read())
print(time.perf_counter() - start)
""",
}
IMPORT = {
    "assay": "import assay.store.safe_pickle",
    "skops": "import skops.io",
}


def models() -> dict[str, Any]:
    import numpy as np
    import pandas as pd
    from sklearn.compose import ColumnTransformer, make_column_selector
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    rng = np.random.default_rng(0)
    rows = 5_000
    numeric = rng.normal(size=(rows, 20))
    labels = (numeric[:, 0] + numeric[:, 1] ** 2 + rng.normal(size=rows) > 1).astype(int)
    forest = RandomForestClassifier(n_estimators=200, random_state=0, n_jobs=1)
    forest.fit(numeric, labels)
    frame = pd.DataFrame(numeric[:, :15], columns=[f"x{i}" for i in range(15)])
    for index in range(5):
        frame[f"c{index}"] = rng.choice(["a", "b", "c", "d"], size=rows)
    features = ColumnTransformer([
        ("numeric", StandardScaler(), make_column_selector(dtype_include="number")),
        ("categorical", OneHotEncoder(handle_unknown="ignore", sparse_output=False),
         make_column_selector(dtype_exclude="number")),
    ])
    pipeline = Pipeline([("features", features),
                         ("estimator", HistGradientBoostingClassifier(random_state=0))])
    pipeline.fit(frame, labels)
    return {"random_forest_200": forest, "pipeline_columns_hgb": pipeline}


def _median_seconds(action: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _fresh(script: str, *args: str) -> float:
    done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True,
                          text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def _import_seconds(statement: str) -> float:
    script = f"import time\nstart = time.perf_counter()\n{statement}\nprint(time.perf_counter() - start)"
    return statistics.median(_fresh(script) for _ in range(COLD_REPEATS))


def main() -> None:
    import pickle

    import skops
    import skops.io as sio

    from assay.store import safe_pickle

    figures: dict[str, Any] = {
        "skops_version": skops.__version__,
        "import_s": {side: round(_import_seconds(s), 3) for side, s in IMPORT.items()},
        "models": {},
    }
    with tempfile.TemporaryDirectory() as folder:
        for name, model in models().items():
            written = {
                "assay": safe_pickle.dumps(model),
                "skops": sio.dumps(model),
                "pickle": pickle.dumps(model, protocol=5),
            }
            untrusted = sio.get_untrusted_types(data=written["skops"])
            loaders: dict[str, Callable[[], object]] = {
                "assay": functools.partial(safe_pickle.loads, written["assay"]),
                "skops": functools.partial(sio.loads, written["skops"], trusted=untrusted),
                "pickle": functools.partial(pickle.loads, written["pickle"]),
            }
            row: dict[str, Any] = {"skops_untrusted_types": untrusted}
            for side, load in loaders.items():
                path = Path(folder) / f"{name}.{side}"
                path.write_bytes(written[side])
                row[side] = {
                    "bytes": len(written[side]),
                    "warm_load_s": round(_median_seconds(load, WARM_REPEATS), 4),
                    "cold_load_s": round(statistics.median(
                        _fresh(COLD[side], str(path)) for _ in range(COLD_REPEATS)), 3),
                }
            row["skops_over_assay_warm"] = round(
                row["skops"]["warm_load_s"] / row["assay"]["warm_load_s"], 1)
            row["skops_over_assay_cold"] = round(
                row["skops"]["cold_load_s"] / row["assay"]["cold_load_s"], 2)
            figures["models"][name] = row
    path = record("skops_load", figures)
    print(json.dumps(figures, indent=1))
    print(f"written to {path}")


if __name__ == "__main__":
    main()
