"""What stored models may name, from the command line: a project's own estimator class,
one it keeps inside that needs ``security.allow_pickle``, and a model altered in the store."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import assay, assert_clean_error

MODULE = '''
from sklearn.linear_model import LogisticRegression


class Calibration:
    """Something the estimator keeps that the config does not name."""

    def __init__(self, shift):
        self.shift = shift


class ShiftedLogistic(LogisticRegression):
    def __init__(self, C=1.0, max_iter=1000, keep_helper=False):
        super().__init__(C=C, max_iter=max_iter)
        self.keep_helper = keep_helper

    def fit(self, X, y):
        super().fit(X, y)
        if self.keep_helper:
            self.helper_ = Calibration(0.0)
        return self
'''
ESTIMATOR = ("model._target_=mymodels.ShiftedLogistic", "+model.keep_helper=true")


def test_a_project_class_loads_and_what_it_keeps_needs_the_setting(project: Path) -> None:
    (project / "mymodels.py").write_text(MODULE)
    refused = assay("run", *ESTIMATOR, cwd=project)
    assert refused.returncode == 1, refused.stderr
    assert "it names mymodels:Calibration, which assay does not load" in refused.stderr
    assert 'add "mymodels:Calibration" to security.allow_pickle' in refused.stderr
    # The class the config names is trusted already: only what it keeps must be listed.
    assert "ShiftedLogistic" not in refused.stderr.split("it names")[1].split("\n")[0]
    config = project / "configs" / "config.yaml"
    assert "  allow_pickle: []\n" in config.read_text()
    config.write_text(config.read_text().replace("  allow_pickle: []\n",
                                                 "  allow_pickle: [mymodels:Calibration]\n"))
    ran = assay("run", *ESTIMATOR, cwd=project)
    assert ran.returncode == 0, ran.stderr
    # load_model trusts what the project in the working directory trusts: the class its
    # recorded config names (a project module) and the project's security.allow_pickle.
    script = ("from assay.registry import load_model\n"
              "print(type(load_model('shifted-logistic').steps[-1][1].helper_).__name__)")
    loaded = subprocess.run([sys.executable, "-c", script], cwd=project, capture_output=True,
                            text=True, timeout=120)
    assert loaded.stdout.strip() == "Calibration", loaded.stderr
    # Elsewhere (another directory, no such setting) the same model is refused.
    elsewhere = subprocess.run([sys.executable, "-c", script.replace(
        "load_model('shifted-logistic')", f"load_model('shifted-logistic', {str(project / '.assay')!r})")],
        cwd=project.parent, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(project)})
    assert "UnsafeArtifactError" in elsewhere.stderr
    assert "it names mymodels:Calibration" in elsewhere.stderr


def test_a_model_altered_in_the_store_is_refused_by_monitor_and_report(project: Path) -> None:
    assert assay("run", cwd=project).returncode == 0
    # An attacker who can write the store's files swaps the model and fixes its manifest.
    pickles = list((project / ".assay" / "artifacts").rglob("model.pkl"))
    assert len(pickles) == 1
    marker = project / "PWNED"
    payload = (b"\x80\x04\x8c\x02os\x8c\x06system\x93\x8c" + bytes([len(f"touch {marker}")])
               + f"touch {marker}".encode() + b"\x85R.")
    pickles[0].write_bytes(payload)
    manifest_path = pickles[0].parent / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["outputs"]["model"].update(size=len(payload),
                                        sha256=hashlib.sha256(payload).hexdigest())
    manifest_path.write_text(json.dumps(manifest))
    from sklearn.datasets import load_breast_cancer

    load_breast_cancer(as_frame=True).frame.to_csv(project / "current.csv", index=False)
    for command in (("monitor", "monitor.current=current.csv"), ("report",)):
        stderr = assert_clean_error(assay(*command, cwd=project), 2)
        assert "is not the one registered: its sha256 is" in stderr, command
        assert "assay verify --repair" in stderr, command
    assert not marker.exists()
