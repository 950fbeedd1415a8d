"""``executor=dask`` against a real scheduler and real workers started as separate processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import assay

pytestmark = pytest.mark.e2e


def _dask(*args: str, cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "distributed.cli." + args[0], *args[1:]],
        cwd=cwd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[str]:
    """A scheduler on a free loopback port and two single-threaded workers."""
    scheduler_file = tmp_path / "scheduler.json"
    processes = [_dask("dask_scheduler", "--host", "127.0.0.1", "--port", "0",
                       "--no-dashboard", "--scheduler-file", str(scheduler_file), cwd=tmp_path)]
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.exists():
            assert time.monotonic() < deadline, "the scheduler did not start"
            time.sleep(0.1)
        address = json.loads(scheduler_file.read_text())["address"]
        processes.append(_dask("dask_worker", address, "--nworkers", "2", "--nthreads", "1",
                               "--no-dashboard", "--host", "127.0.0.1", cwd=tmp_path))
        _wait_for_workers(address, 2)
        yield address
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            process.wait(timeout=30)


def _wait_for_workers(address: str, count: int) -> int:
    from distributed import Client

    with Client(address, timeout=30) as client:
        client.wait_for_workers(count, timeout=60)
        return len(client.scheduler_info()["workers"])


def test_a_run_on_an_existing_cluster_matches_the_threaded_run(project: Path, cluster: str) -> None:
    remote = assay("run", "executor=dask", f"executor.address={cluster}",
                   "store.root=.assay-cluster", cwd=project)
    assert remote.returncode == 0, remote.stderr
    assert f"on Dask {cluster}: 2 workers, 2 threads" in remote.stdout
    assert "9 steps: 9 ran, 0 from cache" in remote.stdout
    remote_metrics = json.loads(sorted(project.glob("outputs/*/*/metrics.json"))[-1].read_text())

    local = assay("run", "executor=threads", "store.root=.assay-threads", cwd=project)
    assert local.returncode == 0, local.stderr
    local_metrics = json.loads(sorted(project.glob("outputs/*/*/metrics.json"))[-1].read_text())
    assert remote_metrics == local_metrics

    cached = assay("run", "executor=dask", f"executor.address={cluster}",
                   "store.root=.assay-cluster", cwd=project)
    assert "0 ran, 9 from cache" in cached.stdout
    # assay closed only its client: the cluster it did not start is still there.
    assert _wait_for_workers(cluster, 2) == 2
