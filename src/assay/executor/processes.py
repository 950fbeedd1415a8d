"""Dask's multiprocessing scheduler: a pool of worker processes, no cluster.

The local scheduler runs in this process and hands each task to a pool whose
processes fork from the worker server, which has imported pandas, pyarrow and
scikit-learn once (``assay.executor.worker_server``). There is no scheduler process,
no nannies and no ``distributed`` to import on either side, so it is ready as soon as
the server's imports are done, and a task costs a fork-free round trip. It has no
dashboard, no memory limit per worker and no per-GPU workers: GPU steps belong on
``local`` (which ``auto`` picks on a machine with GPUs).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import os
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from assay.executor.base import Callbacks, Executor, TaskGraph, crashed
from assay.executor.relay import Events, run_relayed
from assay.executor.task import TaskOutcome, TaskSpec, run_task


class WorkerLost(RuntimeError):
    """A worker process died while it ran a task (killed, or out of memory)."""


class _StopRun(Exception):
    """Raised in a worker to stop the scheduler after a failure (on_error=fail)."""

    def __init__(self, outcome: TaskOutcome) -> None:
        super().__init__(outcome.node)
        self.outcome = outcome

    def __reduce__(self) -> tuple[Any, ...]:
        return (_StopRun, (self.outcome,))


def run_or_skip(spec: TaskSpec, stop_on_failure: bool, *upstream: TaskOutcome) -> TaskOutcome:
    """One task in a worker process (skipped by ``run_task`` when a producer did not run)."""
    outcome = run_task(spec, *upstream)
    if outcome.status == "failed" and stop_on_failure:
        raise _StopRun(outcome)
    return outcome


class ProcessesExecutor(Executor):
    """Runs tasks with ``dask.multiprocessing.get`` on a pool of forked workers."""

    name = "processes"

    def __init__(self, n_workers: int | None = None, on_error: str = "fail") -> None:
        super().__init__(on_error)
        self.n_workers = n_workers or os.cpu_count() or 1
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None
        self._others: set[int] = set()  # the pids of processes this one had before the pool

    def describe(self) -> str:
        plural = "" if self.n_workers == 1 else "es"
        return f"Dask multiprocessing scheduler, {self.n_workers} worker process{plural}"

    def _workers(self) -> concurrent.futures.ProcessPoolExecutor:
        if self._pool is None:
            import multiprocessing

            from assay.executor.worker_server import start_worker_server

            # Workers fork warm from the worker server; where there is none (Windows),
            # spawned ones import the libraries on their first task.
            method = "forkserver" if start_worker_server(for_cluster=False) else "spawn"
            self._others = {p.pid for p in multiprocessing.active_children() if p.pid}
            self._pool = concurrent.futures.ProcessPoolExecutor(
                self.n_workers, mp_context=multiprocessing.get_context(method)
            )
        return self._pool

    def _run(self, graph: TaskGraph, callbacks: Callbacks) -> dict[str, TaskOutcome]:
        import dask.multiprocessing

        key = {node: f"{node}-{graph.tasks[node].fingerprint[:16]}" for node in graph.order}
        node_of = {k: node for node, k in key.items()}
        # Each task gets the whole machine's share of BLAS threads, not more.
        threads = max(1, (os.cpu_count() or 1) // self.n_workers)
        stop = self.on_error == "fail"
        tasks = {
            key[node]: (run_or_skip, dataclasses.replace(graph.tasks[node], threads=threads), stop,
                        *(key[d] for d in graph.depends.get(node, ())))
            for node in graph.order
        }

        def schedule(events: Events) -> None:
            # Dask's scheduler callbacks: (start, start_state, pretask, posttask, finish).
            reporter = (
                None, None,
                lambda k, dsk, state: events.put(("started", node_of[k])),
                lambda k, result, dsk, state, worker: events.put(("finished", result)),
                None,
            )
            try:
                dask.multiprocessing.get(
                    tasks, list(tasks), pool=self._workers(), optimize_graph=False,
                    chunksize=1, callbacks=[reporter],
                )
            except _StopRun as stopped:  # its outcome is reported; the rest never ran
                events.put(("finished", stopped.outcome))
            except BrokenProcessPool as error:  # a worker died: killed, or out of memory
                events.put(("lost", error))

        def lost(error: object, running: list[str]) -> list[TaskOutcome]:
            # The pool is unusable: the tasks it was running failed, the rest never ran.
            self.close()
            return [crashed(graph.tasks[node], WorkerLost(
                f"a worker process died while running it ({error}); "
                "run again to resume from what is stored")) for node in running]

        try:
            return run_relayed(schedule, "assay-processes", callbacks, lost)
        except KeyboardInterrupt:  # Ctrl-C or SIGTERM: what is running is abandoned
            self._kill_workers()
            raise

    def _kill_workers(self) -> None:
        """Ends the pool's workers now, running tasks and all, instead of waiting for them.

        Waiting would keep an interrupted run alive until its longest task is done. The
        workers are the processes started since the pool was made (the pool has no public
        way to name them); what they stored is complete, and what they were writing is not
        in the store (artifacts are written to a temporary name first).
        """
        import multiprocessing

        pool, self._pool = self._pool, None
        for process in multiprocessing.active_children():
            if process.pid not in self._others:
                process.kill()
        if pool is not None:  # its manager thread sees the workers gone and ends, soon
            with contextlib.suppress(Exception):
                pool.shutdown(wait=True, cancel_futures=True)

    def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            with contextlib.suppress(Exception):
                pool.shutdown(wait=True, cancel_futures=True)
