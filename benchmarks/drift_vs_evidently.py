"""assay's drift check against Evidently's DataDriftPreset on the same data, in one run.

1,000,000 rows x 20 columns (15 numeric, 5 categorical) for the reference and for the
current data; in the current data 5 numeric columns are shifted by 0.5 standard
deviations and 2 categorical columns change their mix. Each side runs in its own
process, from reading the two Parquet files to per-column verdicts: assay profiles the
reference a row group at a time (as it would a reference too large for memory; at
training time the profile step does it from the frame in hand), profiles the current
file piece by piece (Dask's threaded scheduler) and checks; Evidently 0.7.23 (installed
into benchmarks/.evidently-venv by this script, not a dependency of assay) loads both
into pandas and runs the preset. Recorded: wall time, peak memory (the process's
maximum resident set) and how many per-column verdicts agree. Targets: same verdicts,
at least 10x faster, at most a third of the memory.

    python benchmarks/drift_vs_evidently.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import record

HERE = Path(__file__).resolve().parent
EVIDENTLY_VENV = HERE / ".evidently-venv"
ROWS = 1_000_000

ASSAY_SIDE = """
import json, resource, sys, time
start = time.perf_counter()
from pathlib import Path
from assay.monitor.check import check_drift
from assay.monitor.current import profile_on_dask
from assay.monitor.profiling import reference_from_file
reference = reference_from_file(Path(sys.argv[1]))
current, _, pieces = profile_on_dask(Path(sys.argv[2]), reference)
result = check_drift(reference, current)
print(json.dumps({"seconds": time.perf_counter() - start,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "pieces": pieces, "dataset": result.drifted,
                  "verdicts": {c.column: c.verdict == "drift" for c in result.columns},
                  "tests": {c.column: c.test for c in result.columns}}))
"""

EVIDENTLY_SIDE = """
import json, resource, sys, time
start = time.perf_counter()
import pandas as pd
from evidently.legacy.metric_preset import DataDriftPreset
from evidently.legacy.report import Report
reference, current = pd.read_parquet(sys.argv[1]), pd.read_parquet(sys.argv[2])
report = Report(metrics=[DataDriftPreset()])
report.run(reference_data=reference, current_data=current)
found = report.as_dict()
columns = next(m["result"]["drift_by_columns"] for m in found["metrics"]
               if "drift_by_columns" in m["result"])
dataset = next(m["result"]["dataset_drift"] for m in found["metrics"]
               if "dataset_drift" in m["result"])
print(json.dumps({"seconds": time.perf_counter() - start,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "dataset": bool(dataset),
                  "verdicts": {c: bool(v["drift_detected"]) for c, v in columns.items()},
                  "tests": {c: v["stattest_name"] for c, v in columns.items()}}))
"""


def write_data(folder: Path) -> tuple[Path, Path]:
    import numpy as np
    import pandas as pd

    def table(seed: int, shifted: bool) -> pd.DataFrame:
        rng = np.random.default_rng(seed)
        columns = {}
        for index in range(15):
            shift = 0.5 if shifted and index < 5 else 0.0
            columns[f"num{index}"] = rng.normal(index + shift, 1.0 + index / 10, ROWS)
        mixes = ([0.4, 0.3, 0.2, 0.1], [0.1, 0.2, 0.3, 0.4])
        for index in range(5):
            mix = mixes[1] if shifted and index < 2 else mixes[0]
            columns[f"cat{index}"] = rng.choice(["a", "b", "c", "d"], ROWS, p=mix)
        return pd.DataFrame(columns)

    reference, current = folder / "reference.parquet", folder / "current.parquet"
    table(1, shifted=False).to_parquet(reference, row_group_size=100_000)
    table(2, shifted=True).to_parquet(current, row_group_size=100_000)
    return reference, current


def evidently_python() -> Path:
    python = EVIDENTLY_VENV / "bin" / "python"
    if not python.exists():
        venv.create(EVIDENTLY_VENV, with_pip=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "evidently==0.7.23",
                        "pandas<2.3", "pyarrow"], check=True)
    return python


def run(python: Path, code: str, *args: Path) -> dict:
    done = subprocess.run([str(python), "-c", code, *map(str, args)], capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="assay-bench-drift-") as folder:
        reference, current = write_data(Path(folder))
        ours = run(Path(sys.executable), ASSAY_SIDE, reference, current)
        theirs = run(evidently_python(), EVIDENTLY_SIDE, reference, current)
    agree = sorted(c for c in theirs["verdicts"] if theirs["verdicts"][c] == ours["verdicts"].get(c))
    differ = sorted(set(theirs["verdicts"]) - set(agree))
    figures = {
        "rows": ROWS, "columns": len(theirs["verdicts"]),
        "assay": {k: ours[k] for k in ("seconds", "peak_mb", "pieces", "dataset")},
        "evidently": {k: theirs[k] for k in ("seconds", "peak_mb", "dataset")},
        "speedup": round(theirs["seconds"] / ours["seconds"], 1),
        "memory_ratio": round(ours["peak_mb"] / theirs["peak_mb"], 3),
        "verdicts_agree": f"{len(agree)}/{len(theirs['verdicts'])}",
        "verdicts_differ": {c: {"assay": ours["verdicts"].get(c), "evidently": theirs["verdicts"][c],
                                "tests": [ours["tests"].get(c), theirs["tests"][c]]} for c in differ},
        "drifted_columns": sorted(c for c, v in theirs["verdicts"].items() if v),
        "targets": {"speedup": 10, "memory_ratio": 1 / 3, "verdicts": "all agree"},
    }
    print(json.dumps(figures, indent=1))
    record("drift_vs_evidently", figures)


if __name__ == "__main__":
    main()
