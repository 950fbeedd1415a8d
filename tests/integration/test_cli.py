"""The command line itself: Hydra's flags, init, help and exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.helpers import assay, assert_clean_error


def test_hydra_cfg_flag_prints_the_composed_config_without_running(project: Path) -> None:
    result = assay("run", "model=random_forest", "--cfg", "job", cwd=project)
    assert result.returncode == 0, result.stderr
    config = yaml.safe_load(result.stdout)
    assert config["model"]["_target_"] == "sklearn.ensemble.RandomForestClassifier"
    assert config["executor"]["kind"] == "auto"
    assert not (project / ".assay").exists()


def _holders_of(pipe_inode: int) -> list[int]:
    """Processes other than this one with the pipe ``pipe_inode`` open."""
    holders = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        if int(pid) == os.getpid():
            continue
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
            targets = {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in fds}
        except OSError:  # gone, or not ours to read
            continue
        if f"pipe:[{pipe_inode}]" in targets:
            holders.append(int(pid))
    return holders


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_no_process_holds_the_output_once_the_command_has_exited(project: Path) -> None:
    # A cached run needs no workers, but the worker server started at once (in case it
    # would) is still importing when the run ends: it must not outlive the command and
    # keep a caller reading the output waiting.
    assert assay("run", "split.seed=3", cwd=project).returncode == 0
    process = subprocess.Popen([sys.executable, "-m", "assay", "run", "split.seed=3"],
                               cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.wait(timeout=240) == 0
    assert process.stdout is not None and process.stderr is not None
    for stream in (process.stdout, process.stderr):
        assert _holders_of(os.fstat(stream.fileno()).st_ino) == []
    assert "from cache" in process.stdout.read().decode()


def test_hydra_info_and_help_work(project: Path) -> None:
    info = assay("run", "--info", "defaults", cwd=project)
    assert info.returncode == 0, info.stderr
    assert "model/logistic" in info.stdout
    helped = assay("run", "--help", cwd=project)
    assert helped.returncode == 0
    assert "assay run: compile the configured pipeline" in helped.stdout
    assert ("model: hist_gbm, hist_gbm_regressor, logistic, mlp, mlp_regressor, random_forest, "
            "ridge, torch") in helped.stdout


def test_top_level_help_version_and_unknown_command(project: Path) -> None:
    helped = assay("--help", cwd=project)
    assert helped.returncode == 0 and "plan [OVERRIDES...] [--json]" in helped.stdout
    assert assay("--version", cwd=project).stdout.startswith("assay 0.")
    stderr = assert_clean_error(assay("rnu", cwd=project))
    assert "unknown command 'rnu'; did you mean 'run'?" in stderr


@pytest.mark.parametrize("group", ["models", "runs", "data"])
def test_inspection_commands_share_help_exit_codes_and_unknown_command_errors(
        project: Path, group: str) -> None:
    helped = assay(group, "--help", cwd=project)
    assert helped.returncode == 0 and helped.stdout.startswith(f"usage: assay {group} ")
    bare = assay(group, cwd=project)
    assert bare.returncode == 2 and bare.stdout == helped.stdout
    stderr = assert_clean_error(assay(group, "lsit", cwd=project))
    assert f"unknown {group} command 'lsit'" in stderr and "did you mean 'list'?" in stderr


def test_inspection_commands_do_not_import_the_engine() -> None:
    # models/runs/data only read the store: the compiler and executor would cost ~180 modules.
    code = ("import sys\n"
            "from assay.cli.output import short_metrics\n"
            "import assay.cli.data, assay.cli.models, assay.cli.runs\n"
            "assert short_metrics({'roc_auc': 0.5, 'n': 3}) == 'roc_auc 0.5000'\n"
            "print(sorted(m for m in sys.modules if m.startswith(('assay.engine', "
            "'assay.compiler', 'assay.executor'))))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert loaded.stdout.strip() == "[]"


def test_init_writes_a_project_that_runs_as_is(tmp_path: Path) -> None:
    created = assay("init", "starter", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    starter = tmp_path / "starter"
    assert (starter / "configs" / "config.yaml").is_file()
    assert (starter / "pipelines" / "train.yaml").is_file()
    assert ".assay/" in (starter / ".gitignore").read_text()
    run = assay("run", "executor=threads", cwd=starter)
    assert run.returncode == 0, run.stderr
    assert "9 steps: 9 ran" in run.stdout


def test_init_refuses_to_overwrite_a_project(project: Path) -> None:
    before = (project / "configs" / "config.yaml").read_text()
    stderr = assert_clean_error(assay("init", ".", cwd=project))
    assert "already has configs and pipelines/" in stderr
    assert (project / "configs" / "config.yaml").read_text() == before


def test_outside_a_project_the_shipped_configs_are_used(tmp_path: Path) -> None:
    result = assay("plan", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert '"pipeline": "train"' in result.stdout


def test_verbose_shows_the_traceback_of_a_config_error(project: Path) -> None:
    result = assay("run", "split.test_size=abc", "--verbose", cwd=project)
    assert result.returncode == 2
    assert "Traceback" in result.stderr and "split.test_size" in result.stderr


def test_a_failing_step_exits_1_and_points_at_its_log(project: Path) -> None:
    (project / "broken.py").write_text(
        "from assay.artifacts import Metrics\nfrom assay.catalog import step\n\n"
        "@step(outputs={'metrics': Metrics})\ndef explode(*, value: int = 1) -> Metrics:\n"
        "    raise RuntimeError('the step broke')\n"
    )
    (project / "pipelines" / "broken.yaml").write_text(
        "steps:\n  boom: {uses: 'broken:explode'}\n"
    )
    stderr = assert_clean_error(assay("run", "pipeline=broken", "executor=threads", cwd=project),
                                code=1)
    assert "step 'boom' (explode, fingerprint" in stderr
    assert "RuntimeError: the step broke" in stderr
    log = next(line.split("log: ", 1)[1] for line in stderr.splitlines() if "log: " in line)
    assert "RuntimeError: the step broke" in Path(log.strip()).read_text()
    assert "resume with: assay run pipeline=broken executor=threads" in stderr
