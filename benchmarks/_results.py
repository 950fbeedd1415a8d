"""Where benchmark figures are written: ``benchmarks/results/<name>.json``, quoted by the README."""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"


def record(name: str, figures: dict[str, Any]) -> Path:
    """Writes ``figures`` with the machine they were measured on."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {
        "benchmark": name,
        "measured": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        **figures,
    }
    path.write_text(json.dumps(payload, indent=1) + "\n")
    return path
