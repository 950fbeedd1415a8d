"""Hostile configs: a ``_target_`` outside the allow-list is refused before anything runs
(exit 2, naming the key and the setting), in runs, sweeps, pipeline specs and
``assay reproduce`` of a tampered record; the payload it would run never runs."""

from __future__ import annotations

import json
import pickle
import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.helpers import assay, assert_clean_error

FAST = ["executor=threads", "report.resamples=50"]


class _Payload:
    """Unpickling this creates ``pwned.txt``: the proof that a pickle's code ran."""

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return open, ("pwned.txt", "w")


@pytest.fixture
def evil(project: Path) -> Path:
    (project / "evil.pkl").write_bytes(pickle.dumps(_Payload()))
    return project


def _nothing_ran(project: Path) -> None:
    assert not (project / "pwned.txt").exists()
    assert not (project / ".assay" / "artifacts").exists() or not any(
        (project / ".assay" / "artifacts").rglob("*.json"))


def test_run_refuses_read_pickle_and_the_payload_never_runs(evil: Path) -> None:
    result = assay("run", *FAST, "model._target_=pandas.read_pickle",
                   "+model.filepath_or_buffer=evil.pkl", "~model.C", "~model.max_iter", cwd=evil)
    stderr = assert_clean_error(result)
    assert ("command line 'model._target_=pandas.read_pickle', step 'train', key "
            "'model._target_': _target_ 'pandas.read_pickle' is not allowed") in stderr
    assert "security.allow_targets=[pandas.read_pickle]" in stderr
    _nothing_ran(evil)


@pytest.mark.parametrize("target", ["builtins.getattr", "os.system", "importlib.import_module",
                                    "torch.os.system", "sklearn.base.np.load"])
def test_run_refuses_system_callables_even_behind_an_allowed_prefix(project: Path,
                                                                    target: str) -> None:
    result = assay("run", *FAST, f"model._target_={target}", "~model.C", "~model.max_iter",
                   cwd=project)
    assert f"_target_ '{target}' is not allowed" in assert_clean_error(result)
    _nothing_ran(project)


def test_a_sweep_with_one_forbidden_job_runs_no_job(project: Path) -> None:
    result = assay("run", "-m", *FAST, "~model.C", "~model.max_iter",
                   "model._target_=sklearn.linear_model.LogisticRegression,builtins.getattr",
                   cwd=project)
    assert "_target_ 'builtins.getattr' is not allowed" in assert_clean_error(result)
    _nothing_ran(project)


def test_a_target_in_a_pipeline_spec_is_refused_where_it_is_written(evil: Path) -> None:
    (evil / "pipelines" / "hostile.yaml").write_text(
        "steps:\n"
        "  load:\n"
        "    uses: load_dataset\n"
        "    with:\n"
        "      source: {_target_: pandas.read_pickle, filepath_or_buffer: evil.pkl}\n")
    stderr = assert_clean_error(assay("run", *FAST, "pipeline=hostile", cwd=evil))
    assert ("pipelines/hostile.yaml:5, step 'load', key 'with.source._target_': _target_ "
            "'pandas.read_pickle' is not allowed") in stderr
    _nothing_ran(evil)


def test_a_step_may_not_name_a_function_outside_the_allow_list(project: Path) -> None:
    (project / "pipelines" / "hostile.yaml").write_text(
        "steps:\n  boom: {uses: 'os:system', with: {command: 'touch pwned.txt'}}\n")
    stderr = assert_clean_error(assay("run", *FAST, "pipeline=hostile", cwd=project))
    assert "step 'boom', key 'uses': step 'os:system' is not allowed" in stderr
    _nothing_ran(project)


def test_hydra_callbacks_cannot_be_set_on_the_command_line(project: Path) -> None:
    result = assay("run", *FAST, "+hydra.callbacks.evil={_target_: builtins.open, "
                   "_args_: [pwned.txt, w]}", cwd=project)
    stderr = assert_clean_error(result)
    assert ("command line '+hydra.callbacks.evil={_target_: builtins.open, _args_: [pwned.txt, "
            "w]}', key 'hydra.callbacks.evil': hydra.callbacks cannot be set on the command "
            "line") in stderr
    _nothing_ran(project)


def test_the_project_setting_admits_a_module_it_trusts(project: Path) -> None:
    refused = assay("plan", "model._target_=collections.OrderedDict", "~model.C",
                    "~model.max_iter", cwd=project)
    assert "security.allow_targets=[collections]" in assert_clean_error(refused)
    config = project / "configs" / "config.yaml"
    config.write_text(config.read_text().replace("allow_targets: []",
                                                 "allow_targets: [collections]"))
    allowed = assay("plan", "model._target_=collections.OrderedDict", "~model.C",
                    "~model.max_iter", cwd=project)
    assert allowed.returncode == 0, allowed.stderr


@pytest.mark.parametrize("command", ["reproduce", "restore"])
def test_reproduce_or_restore_of_a_tampered_record_is_refused(evil: Path, command: str) -> None:
    ran = assay("run", *FAST, cwd=evil)
    assert ran.returncode == 0, ran.stderr
    ref = json.loads(assay("models", "list", "--json", cwd=evil).stdout)[0]["ref"]
    with sqlite3.connect(evil / ".assay" / "assay.db") as db:
        (config,) = db.execute("SELECT config FROM model_versions").fetchone()
        tampered = config.replace("_target_: sklearn.linear_model.LogisticRegression",
                                  "_target_: pandas.read_pickle")
        # the record even tries to allow its own target
        tampered = tampered.replace("allow_targets: []", "allow_targets: [pandas.read_pickle]")
        assert tampered != config and "allow_targets: [pandas.read_pickle]" in tampered
        db.execute("UPDATE model_versions SET config = ?", (tampered,))
    if command == "restore":  # a model to rebuild: its artifact is gone
        shutil.rmtree(evil / ".assay" / "artifacts")
        result = assay("models", "restore", ref, cwd=evil)
    else:
        result = assay("reproduce", ref, cwd=evil)
    stderr = assert_clean_error(result)
    assert "_target_ 'pandas.read_pickle' is not allowed" in stderr
    assert not (evil / "pwned.txt").exists()
