"""Runs every benchmark in turn; each writes its figures to benchmarks/results/."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = ["compile_10k.py", "cached_run.py", "sweep.py", "torch_trainer.py",
              "drift_vs_evidently.py", "report_build.py"]


def main() -> None:
    for script in BENCHMARKS:
        print(f"== {script}", flush=True)
        subprocess.run([sys.executable, str(HERE / script)], check=True)


if __name__ == "__main__":
    main()
