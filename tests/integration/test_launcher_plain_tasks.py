"""Plain Hydra task functions under ``hydra/launcher=assay``: one Dask task per job.

A job that pickles its Hydra config on a worker works (Hydra's own pickle-job-info
callback does it too), and a batch prints the jobs' output, not Dask's.
"""

from __future__ import annotations

import copy
import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from hydra.core.utils import JobReturn, JobStatus
from omegaconf import open_dict, read_write

APP = '''
import logging
import pickle
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig

log = logging.getLogger(__name__)


@hydra.main(config_path=".", config_name="config", version_base=None)
def my_app(cfg):
    hydra_cfg = HydraConfig.get()
    output_dir = Path(hydra_cfg.runtime.output_dir)
    with open(output_dir / "task_cfg.pickle", "wb") as file:
        pickle.dump(cfg, file)
    with open(output_dir / "hydra_cfg.pickle", "wb") as file:
        pickle.dump(hydra_cfg, file)
    log.info("Running my_app")
    return "hello world"


if __name__ == "__main__":
    my_app()
'''

CONFIG = """
foo: bar
hydra:
  callbacks:
    save_job_info:
      _target_: hydra.experimental.callbacks.PickleJobInfoCallback
"""

DASK_CHATTER = ("Start Nanny", "Register worker", "Scheduler at", "Closing Nanny",
                "distributed.")


def _run_app(app_dir: Path, *overrides: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    return subprocess.run(
        [sys.executable, "my_app.py", "-m", "hydra/launcher=assay",
         "hydra.launcher.n_workers=2", f"hydra.sweep.dir={app_dir / 'sweep'}",
         "hydra.job.chdir=True", *overrides],
        cwd=app_dir, env=env, capture_output=True, text=True, timeout=180,
    )


@pytest.fixture
def app_dir(tmp_path: Path) -> Path:
    (tmp_path / "my_app.py").write_text(textwrap.dedent(APP))
    (tmp_path / "config.yaml").write_text(textwrap.dedent(CONFIG))
    return tmp_path


def _load(path: Path) -> Any:
    with open(path, "rb") as file:
        return pickle.load(file)  # written by the test's own app


def test_jobs_that_pickle_their_hydra_config_run_on_dask_workers(app_dir: Path) -> None:
    result = _run_app(app_dir, "foo=a,b")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "PicklingError" not in output and "warn" not in result.stderr.lower(), output
    for job, foo in (("0", "a"), ("1", "b")):
        job_dir = app_dir / "sweep" / job
        task_cfg = _load(job_dir / "task_cfg.pickle")
        hydra_cfg = _load(job_dir / "hydra_cfg.pickle")
        assert task_cfg.foo == foo
        assert hydra_cfg.launcher._target_.endswith("AssayLauncher")
        # Hydra's save-job-info callback: what it pickled equals what the job pickled
        config_on_start = _load(job_dir / ".hydra" / "config.pickle")
        job_return: JobReturn = _load(job_dir / ".hydra" / "job_return.pickle")
        task_from_callback = copy.deepcopy(config_on_start)
        with read_write(task_from_callback), open_dict(task_from_callback):
            del task_from_callback["hydra"]
        assert task_from_callback == task_cfg
        assert config_on_start.hydra == hydra_cfg
        assert job_return.cfg == task_cfg
        assert job_return.hydra_cfg.hydra == hydra_cfg  # type: ignore[union-attr]
        assert job_return.return_value == "hello world"
        assert job_return.status == JobStatus.COMPLETED


def test_a_batch_prints_the_jobs_output_and_no_dask_chatter(app_dir: Path) -> None:
    result = _run_app(app_dir, "foo=a,b,c")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert output.count("Running my_app") == 3
    assert [c for c in DASK_CHATTER if c in output] == [], output
    assert "CommClosedError" not in output and "Traceback" not in output, output
    lines = [line for line in output.splitlines() if line.strip()]
    # the launch header, the three jobs, and each job's callback lines: nothing else
    assert len(lines) == 4 + 3 * 3, output


def test_hydra_verbose_distributed_keeps_dask_logs(app_dir: Path) -> None:
    result = _run_app(app_dir, "foo=a", "hydra.verbose=distributed")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Register worker" in output
