"""Dask distributed: an embedded LocalCluster, or an existing cluster by address.

Each node is one ``client.submit`` whose key derives from its fingerprint, so equal
work submitted twice is computed once. Tasks that need a GPU ask for the ``GPU``
worker resource. The executor closes only what it created: a cluster reached by
address is left running.
"""

from __future__ import annotations

import dataclasses
import os
import warnings
from typing import Any

from assay.errors import ConfigError, Problem
from assay.executor.base import Callbacks, Executor, TaskGraph, crashed
from assay.executor.dask_import import import_distributed
from assay.executor.task import TaskOutcome, run_task
from assay.executor.worker_server import WARMUP_MODULE, use_worker_server


class DistributedExecutor(Executor):
    """Runs tasks on a ``dask.distributed`` cluster through a client."""

    name = "distributed"

    def __init__(self, client: Any, cluster: Any = None, on_error: str = "fail",
                 dashboard: bool = True) -> None:
        super().__init__(on_error)
        self.client = client
        self.cluster = cluster  # set only when this executor started it
        self.dashboard = dashboard  # False: the scheduler's HTTP server is no dashboard

    @classmethod
    def local(
        cls,
        n_workers: int | None = None,
        threads_per_worker: int = 1,
        memory_limit: str = "auto",
        dashboard_address: str | None = None,
        on_error: str = "fail",
        gpu_workers: int | None = None,
    ) -> DistributedExecutor:
        """Starts an embedded LocalCluster sized to the machine.

        Besides the CPU workers, one worker per GPU (``gpu_workers``, default: the
        NVIDIA GPUs found) offers the Dask resource ``GPU=1`` and sees only its own
        device through ``CUDA_VISIBLE_DEVICES``; the CPU workers then see none. Without
        ``dashboard_address`` no dashboard starts (the scheduler's plain HTTP endpoints
        take a free port on the loopback interface, not 8787).
        """
        from assay.executor.gpus import local_gpu_workers, worker_environments

        import_distributed()
        import dask
        from distributed import Client, LocalCluster

        workers = n_workers or _cores()
        gpus = local_gpu_workers(gpu_workers)
        cpu_env, gpu_envs = worker_environments(gpus, os.environ.get("CUDA_VISIBLE_DEVICES"))
        # Forked workers already hold the libraries; spawned ones import them at start.
        preload = [] if use_worker_server() else [WARMUP_MODULE]
        # Without a dashboard nobody sees the workers' statistical profiler, which samples
        # the running task's stack every 10 ms (reading source lines) on the task's core.
        quiet = {} if dashboard_address else {"distributed.worker.profile.enabled": False}
        with warnings.catch_warnings(), dask.config.set(quiet):
            # A busy dashboard port moves to a free one; the link printed shows which.
            warnings.filterwarnings("ignore", message=r"Port \d+ is already in use")
            cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=threads_per_worker,
                processes=True,
                memory_limit=memory_limit,
                host="127.0.0.1",
                preload=preload,
                env=cpu_env,
                **dashboard_options(dashboard_address),
            )
        client = Client(cluster)
        if gpu_envs:
            _add_gpu_workers(cluster, gpu_envs)
            client.wait_for_workers(workers + len(gpu_envs), timeout=120)
        return cls(client, cluster, on_error, dashboard=bool(dashboard_address))

    @classmethod
    def connect(cls, address: str, timeout: float = 10.0, on_error: str = "fail") -> DistributedExecutor:
        """Connects to a running scheduler.

        Raises:
            ConfigError: when nothing answers at ``address`` within ``timeout``.
        """
        import_distributed()
        from distributed import Client

        try:
            client = Client(address, timeout=timeout)
        except (OSError, TimeoutError, ValueError) as error:
            raise ConfigError(
                Problem(
                    f"cannot connect to the Dask scheduler at {address}: {error}",
                    key="executor.address",
                    expected="the address of a running scheduler, e.g. tcp://host:8786",
                    hint="start one with `dask scheduler` and `dask worker ADDRESS`, "
                    "or run with executor=local",
                )
            ) from error
        return cls(client, None, on_error)

    def gpu_capacity(self) -> int:
        """GPUs the cluster's workers offer (their ``GPU`` resources, summed)."""
        workers = self.client.scheduler_info().get("workers", {}).values()
        return int(sum(w.get("resources", {}).get("GPU", 0) for w in workers))

    def describe(self) -> str:
        info = self.client.scheduler_info()
        workers = info.get("workers", {})
        threads = sum(w.get("nthreads", 0) for w in workers.values())
        where = "embedded LocalCluster" if self.cluster is not None else info.get("address", "")
        text = f"Dask {where}: {len(workers)} workers, {threads} threads"
        link = self.dashboard_link()
        return f"{text}; dashboard {link}" if link else text

    def dashboard_link(self) -> str | None:
        """The dashboard URL when the scheduler serves one."""
        if not self.dashboard:
            return None
        services = self.client.scheduler_info().get("services", {})
        return str(self.client.dashboard_link) if "dashboard" in services else None

    def _run(self, graph: TaskGraph, callbacks: Callbacks) -> dict[str, TaskOutcome]:
        futures: dict[str, Any] = {}
        try:
            return self._run_submitted(graph, callbacks, futures)
        except KeyboardInterrupt:  # Ctrl-C or SIGTERM: what is running is abandoned
            self._abandon(list(futures.values()))
            raise

    def _abandon(self, futures: list[Any]) -> None:
        """Stops the run's tasks now instead of letting them finish.

        A LocalCluster's nannies would wait ~4 s for a busy worker to stop, then kill it,
        and log warnings meanwhile; told that the cluster is closing, they let their
        workers be killed now and start no new ones. A remote cluster's workers are not
        ours to kill: the run's tasks are cancelled there.
        """
        import contextlib
        import logging
        import signal

        with contextlib.suppress(Exception):
            if self.cluster is None:
                self.client.cancel(futures)
                return
            # Connections to the killed workers close mid-read; what the client, scheduler
            # and Tornado log about that (with tracebacks) says nothing the user needs.
            for name in ("distributed", "tornado", "asyncio"):
                logging.getLogger(name).setLevel(logging.CRITICAL + 1)
            nannies = [n for n in self.cluster.workers.values() if hasattr(n, "close_gracefully")]
            for nanny in nannies:
                nanny.close_gracefully(reason="interrupted")
            for nanny in nannies:
                if nanny.pid:
                    with contextlib.suppress(OSError):
                        os.kill(nanny.pid, signal.SIGKILL)

    def _run_submitted(self, graph: TaskGraph, callbacks: Callbacks,
                       futures: dict[str, Any]) -> dict[str, TaskOutcome]:
        from distributed import as_completed

        for node in graph.order:
            spec = graph.tasks[node]
            deps = [futures[d] for d in graph.depends.get(node, ())]
            futures[node] = self.client.submit(
                run_task,
                dataclasses.replace(spec, threads=1),
                *deps,
                key=f"assay-{spec.step}-{spec.fingerprint}",
                resources=dict(spec.resources) or None,
                pure=False,
                retries=0,
            )
        # Two nodes of one plan may share a fingerprint (and so a key and a future): each
        # gets the outcome under its own name.
        nodes_of: dict[str, list[str]] = {}
        for node, future in futures.items():
            nodes_of.setdefault(future.key, []).append(node)
        waiting = {node: set(graph.depends.get(node, ())) for node in graph.order}
        for node, deps in waiting.items():
            if not deps:
                callbacks.started(node)
        outcomes: dict[str, TaskOutcome] = {}
        unique = list({future.key: future for future in futures.values()}.values())
        completed = as_completed(unique, with_results=True, raise_errors=False)
        for future, result in completed:
            for node in nodes_of[future.key]:
                outcome = (dataclasses.replace(result, node=node) if isinstance(result, TaskOutcome)
                           else crashed(graph.tasks[node], result))
                outcomes[node] = outcome
                callbacks.finished(outcome)
                for other, deps in waiting.items():
                    if node in deps:
                        deps.discard(node)
                        if not deps and outcome.ok:
                            callbacks.started(other)
            if outcome.status == "failed" and self.on_error == "fail":
                self.client.cancel([f for n, f in futures.items() if n not in outcomes])
                break
        return outcomes

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def dashboard_options(address: str | None) -> dict[str, Any]:
    """LocalCluster options for a dashboard at ``address``, or for none at all.

    The scheduler always serves its HTTP endpoints (health, metrics); given no
    address, LocalCluster would still bind them to port 8787.
    """
    if address:
        return {"dashboard_address": address}
    return {"dashboard_address": None, "scheduler_kwargs": {"dashboard_address": "127.0.0.1:0"}}


def _add_gpu_workers(cluster: Any, environments: list[dict[str, str]]) -> None:
    """One more worker per GPU, each offering ``GPU=1`` with its own environment."""
    for index, env in enumerate(environments):
        spec = cluster.new_worker_spec()  # the options of the cluster's CPU workers
        (_, worker), = spec.items()
        options = dict(worker["options"])
        options["resources"] = {"GPU": 1}
        options["env"] = {**options.get("env", {}), **env}
        options["name"] = f"gpu-{index}"
        cluster.worker_spec[f"gpu-{index}"] = {**worker, "options": options}
    cluster.scale(len(cluster.worker_spec))  # starts the workers the spec now lists


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
