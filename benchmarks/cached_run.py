"""A fully cached ``assay run`` versus ``python -c "import hydra, pandas"`` (target: under 2x).

Both commands run alternately in one session so machine noise hits them alike; the
figures are medians. The first, uncached run of the default pipeline (on the default
executor) is timed too, for reference.

    python benchmarks/cached_run.py [--repeat 15]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import REPO, record

ASSAY = str(Path(sys.executable).with_name("assay"))


def timed(command: list[str], cwd: Path) -> float:
    """Wall-clock seconds of one command, which must succeed."""
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="assay-bench-"))
    try:
        shutil.copytree(REPO / "configs", workdir / "configs")
        shutil.copytree(REPO / "pipelines", workdir / "pipelines")
        first_run = timed([ASSAY, "run"], workdir)
        baseline_cmd = [sys.executable, "-c", "import hydra, pandas"]
        cached, baseline = [], []
        for _ in range(args.repeat):
            baseline.append(timed(baseline_cmd, workdir))
            cached.append(timed([ASSAY, "run"], workdir))
        check = subprocess.run([ASSAY, "run"], cwd=workdir, capture_output=True, text=True)
        assert "0 ran, 9 from cache" in check.stdout, check.stdout
        median_cached, median_baseline = statistics.median(cached), statistics.median(baseline)
        ratio = median_cached / median_baseline
        print(f"first run (uncached, default executor): {first_run:.2f} s")
        print(f"cached assay run: {median_cached:.3f} s   import hydra, pandas: "
              f"{median_baseline:.3f} s   ratio {ratio:.2f}x (median of {args.repeat})")
        record("cached_run", {
            "repeat": args.repeat,
            "first_run_s": round(first_run, 3),
            "cached_run_median_s": round(median_cached, 3),
            "import_hydra_pandas_median_s": round(median_baseline, 3),
            "ratio": round(ratio, 2),
            "target_ratio": 2.0,
            "meets_target": ratio < 2.0,
        })
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
