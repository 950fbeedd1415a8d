"""Which executor a run gets: ``auto`` resolved by what the run asks for, and the worker
server started before Hydra only for runs that may use it."""

from __future__ import annotations

import pytest

from assay.cli.run import likely_executor
from assay.executor import make_executor, resolve_kind
from assay.executor.gpus import machine_gpus


def test_auto_is_a_process_pool_unless_a_dashboard_or_gpu_workers_need_a_cluster() -> None:
    cpu_only = "local" if machine_gpus() else "processes"
    assert resolve_kind({"kind": "auto"}) == cpu_only
    assert resolve_kind({"kind": "auto", "gpu_workers": 0, "dashboard_address": None}) == (
        "processes")
    assert resolve_kind({"kind": "auto", "dashboard_address": "127.0.0.1:0"}) == "local"
    assert resolve_kind({"kind": "auto", "gpu_workers": 1}) == "local"
    for kind in ("local", "processes", "threads", "dask", "sequential"):
        assert resolve_kind({"kind": kind, "dashboard_address": "x", "gpu_workers": 2}) == kind


def test_auto_makes_the_executor_it_resolves_to() -> None:
    with make_executor({"kind": "auto", "n_workers": 1, "gpu_workers": 0}) as executor:
        assert executor.name == "processes"
        assert executor.describe() == "Dask multiprocessing scheduler, 1 worker process"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], "auto"),
        (["-m", "model.C=0.1,1"], "auto"),
        (["executor=threads"], "threads"),
        (["executor=local", "executor=processes"], "processes"),  # the last one wins
        (["+executor=local"], "local"),
        (["--cfg", "job"], None),  # informational flags run nothing
        (["--help"], None),
        (["-c", "job"], None),
    ],
)
def test_the_likely_executor_is_read_from_the_overrides(args: list[str],
                                                        expected: str | None) -> None:
    assert likely_executor(args) == expected
