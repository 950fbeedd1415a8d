"""Report build time for a store with 100 model versions and 10 sweeps, and the rebuild
after one more run (target: incremental, well under the full build).

The store is made for real: 10 sweeps of 10 jobs each (10 values of ``C``, a different
``split.seed`` per sweep, so every job registers a new version) on the breast cancer data
with the threads executor. Then ``assay report`` builds the site from nothing, one more
``assay run`` adds a version, and ``assay report`` rebuilds.

    python benchmarks/report_build.py
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import REPO, record

ASSAY = str(Path(sys.executable).with_name("assay"))
C_VALUES = "0.01,0.03,0.1,0.2,0.3,0.5,1,2,5,10"


def run(*args: str, cwd: Path) -> tuple[float, str]:
    """Seconds one assay command took, and its stdout; it must succeed."""
    start = time.perf_counter()
    result = subprocess.run([ASSAY, *args], cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"assay {' '.join(args)} failed:\n{result.stderr}")
    return time.perf_counter() - start, result.stdout


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="assay-report-bench-"))
    try:
        shutil.copytree(REPO / "configs", workdir / "configs")
        shutil.copytree(REPO / "pipelines", workdir / "pipelines")
        started = time.perf_counter()
        for seed in range(10):
            run("run", "-m", "executor=threads", f"split.seed={seed}", f"model.C={C_VALUES}",
                cwd=workdir)
        making = time.perf_counter() - started
        full_s, full = run("report", "--json", cwd=workdir)
        run("run", "executor=threads", "split.seed=10", cwd=workdir)
        incremental_s, incremental = run("report", "--json", cwd=workdir)
        unchanged_s, unchanged = run("report", "--json", cwd=workdir)
        full_json, incremental_json = json.loads(full), json.loads(incremental)
        unchanged_json = json.loads(unchanged)
        assert full_json["cards"] == 100 and incremental_json["new_cards"] == 1, (full, incremental)
        print(f"store: 100 versions, 10 sweeps, made in {making:.0f} s")
        print(f"full build: {full_s:.1f} s ({full_json['seconds']:.1f} s in the build)")
        print(f"rebuild after one run: {incremental_s:.1f} s "
              f"({incremental_json['written']} files changed) = {incremental_s / full_s:.2f}x")
        print(f"rebuild with nothing new: {unchanged_s:.1f} s (MkDocs builds "
              f"{unchanged_json['pages']} pages; {unchanged_json['written']} files changed, "
              f"{unchanged_json['drawn']} plots drawn)")
        record("report_build", {
            "versions": full_json["cards"], "sweeps": 10,
            "full_build_s": round(full_s, 2), "incremental_build_s": round(incremental_s, 2),
            "unchanged_build_s": round(unchanged_s, 2),
            "incremental_over_full": round(incremental_s / full_s, 3),
            "incremental_files_changed": incremental_json["written"],
            "incremental_plots_drawn": incremental_json["drawn"],
            # what a rebuild hands MkDocs, which builds every page each time
            "pages": unchanged_json["pages"],
            "unchanged_files_changed": unchanged_json["written"],
            "unchanged_plots_drawn": unchanged_json["drawn"],
        })
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
