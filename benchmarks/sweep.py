"""A 12-job sweep (2 feature sets x 6 values of C) on 200,000 rows: Hydra's basic launcher
running a plain app versus ``assay run -m`` (targets: 2.5x faster, within 1.3x of ideal).

(a) ``sweep_baseline/app.py`` under Hydra's basic launcher: each job reads the Parquet
    file, splits, fits its scaler and its model, one job after another.
(b) ``assay run -m`` on the same file: one merged plan, shared steps once, fits in
    parallel; on the default executor (an embedded LocalCluster) and on ``threads``.
Each runs in a fresh store, side by side in one session. The ideal is the sum of the
unique work (task durations recorded in the store) divided by the cores.

    python benchmarks/sweep.py
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import REPO, record

HERE = Path(__file__).resolve().parent
ASSAY = str(Path(sys.executable).with_name("assay"))
C_VALUES = "0.01,0.1,0.5,1.0,2.0,10.0"


def timed(command: list[str], cwd: Path) -> tuple[float, str]:
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr[-3000:]}")
    return elapsed, result.stdout


def unique_work(store: Path) -> float:
    """Seconds of task time the sweep ran, each unique node counted once."""
    with sqlite3.connect(store / "assay.db") as db:
        rows = db.execute("SELECT fingerprint, duration FROM tasks WHERE status = 'ran'").fetchall()
    return sum(dict(rows).values())


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="assay-bench-sweep-"))
    try:
        import pandas as pd
        from sklearn.datasets import make_classification

        features, labels = make_classification(200_000, 20, n_informative=10, random_state=0)
        frame = pd.DataFrame(features, columns=[f"x{i}" for i in range(20)])
        frame["target"] = labels
        frame.to_parquet(workdir / "data.parquet", index=False)
        shutil.copytree(REPO / "configs", workdir / "configs")
        shutil.copytree(REPO / "pipelines", workdir / "pipelines")
        shutil.copytree(HERE / "sweep_baseline", workdir / "baseline")

        baseline, _ = timed([sys.executable, str(workdir / "baseline" / "app.py"), "-m",
                             f"path={workdir / 'data.parquet'}", "features=standard,minmax",
                             f"C={C_VALUES}"], workdir)
        sweep = ["run", "-m", "data=parquet", "data.path=data.parquet", "data.target=target",
                 "features=standard,minmax", f"model.C={C_VALUES}"]
        figures = {"baseline_s": round(baseline, 2), "cores": os.cpu_count()}
        for executor in ("local", "threads"):
            store = f".assay-{executor}"
            elapsed, stdout = timed([ASSAY, *sweep, f"executor={executor}",
                                     f"store.root={store}"], workdir)
            plan_line = next(line for line in stdout.splitlines() if "sweep of 12 jobs" in line)
            work = unique_work(workdir / store)
            ideal = work / (os.cpu_count() or 1)
            figures[executor] = {
                "seconds": round(elapsed, 2),
                "speedup": round(baseline / elapsed, 2),
                "unique_work_s": round(work, 2),
                "ideal_s": round(ideal, 2),
                "of_ideal": round(elapsed / ideal, 2),
                "plan": plan_line.removeprefix("assay: "),
            }
            print(f"assay ({executor}): {elapsed:.2f} s, {baseline / elapsed:.2f}x faster than "
                  f"the basic launcher ({baseline:.2f} s); ideal {ideal:.2f} s; {plan_line}")
        figures["targets"] = {"speedup": 2.5, "of_ideal": 1.3}
        record("sweep", figures)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
