"""Hostile pickles against the loader: real models of every shipped kind with payloads
injected by fickling, hand-built gadgets, and a tampered model in a real store. Each
payload tries to create a marker file or start a process; none may succeed."""

from __future__ import annotations

import hashlib
import pickle
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import psutil
import pytest
from fickling.fickle import Pickled

from assay.engine.monitoring import load_stored_model
from assay.registry import ModelRegistry, NewVersion, load_model
from assay.registry.loading import (
    ModelIntegrityError,
    ProjectTrust,
    stored_model,
    version_allowance,
)
from assay.report.card import stored_model_or_none
from assay.store import Store
from assay.store.safe_pickle import UnsafeArtifactError, loads
from tests.unit.pickle_payloads import hand_built, payload, shipped_fitted

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def marker(tmp_path: Path) -> Iterator[Path]:
    """A file no payload may create; the test also fails if a process was started."""
    path = tmp_path / "PWNED"
    before = {child.pid for child in psutil.Process().children(recursive=True)}
    yield path
    assert not path.exists(), "a payload ran"
    started = [c for c in psutil.Process().children(recursive=True) if c.pid not in before]
    assert started == [], f"a payload started processes: {started}"


def _fickled(data: bytes, marker: Path) -> Iterator[tuple[str, bytes, str]]:
    """``(how, pickle, global the loader must name)`` for fickling's injections into ``data``."""
    shell = f"touch {marker}"
    injections: list[tuple[str, Callable[[Pickled], Any], str]] = [
        ("exec before the model", lambda p: p.insert_python_exec(
            f"open({str(marker)!r}, 'w').close()"), "builtins:exec"),
        ("os.system before the model", lambda p: p.insert_python(
            shell, module="os", attr="system"), "os:system"),
        ("subprocess.run, its result as the model", lambda p: p.insert_python(
            ["touch", str(marker)], module="subprocess", attr="run",
            use_output_as_unpickle_result=True), "subprocess:run"),
        ("os.system after the whole model", lambda p: p.append_python(
            shell, module="os", attr="system", pop_result=True), "os:system"),
        ("a function called on the loaded model", lambda p:
            p.insert_function_call_on_unpickled_object(
                f"def poke(obj):\n    open({str(marker)!r}, 'w').close()\n    return obj"),
         "builtins:exec"),
    ]
    for how, inject, names in injections:
        # fickling 0.1.12 cannot parse protocol 5's BYTEARRAY8, so the attacker's copy is
        # protocol 4 (the loader reads any protocol).
        pickled = Pickled.load(data)
        inject(pickled)
        yield how, pickled.dumps(), names


def _protocol4(fitted: Any) -> bytes:
    return pickle.dumps(fitted, protocol=4)


def test_fickling_payloads_in_every_shipped_model_kind_are_refused(marker: Path) -> None:
    tried = 0
    for label, fitted in shipped_fitted():
        for how, data, names in _fickled(_protocol4(fitted), marker):
            with pytest.raises(UnsafeArtifactError) as refused:
                loads(data, source=f"{label} with {how}")
            assert f"it names {names}, which assay does not load" in str(refused.value), (
                label, how)
            tried += 1
    assert tried == 5 * len(shipped_fitted())


@pytest.mark.parametrize("index", range(len(hand_built(Path("x")))))
def test_hand_built_gadgets_are_refused_naming_what_they_reach(index: int, marker: Path) -> None:
    payload = hand_built(marker)[index]
    with pytest.raises(UnsafeArtifactError) as refused:
        loads(payload.data, source="model.pkl")
    message = str(refused.value)
    assert message.startswith(f"refusing to load model.pkl: it names {payload.names}"), message


def test_the_payloads_are_live_without_the_loader(tmp_path: Path) -> None:
    # The corpus proves something only if plain pickle runs what it injects: each live
    # payload is loaded with pickle.loads in a child process and must create its marker.
    fitted = dict(shipped_fitted())["pipeline"]
    cases: list[tuple[str, bytes, Path]] = []
    for number, gadget in enumerate(hand_built(tmp_path / "x")):
        if gadget.live:
            target = tmp_path / f"hand-{number}"
            cases.append((gadget.label, hand_built(target)[number].data, target))
    original = _protocol4(fitted)
    for number in range(5):
        target = tmp_path / f"fickled-{number}"
        how, data, _ = list(_fickled(original, target))[number]
        cases.append((how, data, target))
    for number, (_, data, _) in enumerate(cases):
        (tmp_path / f"case-{number}.pkl").write_bytes(data)
    script = ("import pickle, sys, time\n"
              "for path in sys.argv[1:]:\n"
              "    try:\n"
              "        pickle.loads(open(path, 'rb').read())\n"
              "    except Exception:\n"
              "        pass\n"
              "time.sleep(0.5)\n")  # a started `touch` finishes
    subprocess.run([sys.executable, "-c", script,
                    *(str(tmp_path / f"case-{n}.pkl") for n in range(len(cases)))],
                   check=True, timeout=120)
    dead = [how for how, _, target in cases if not target.exists()]
    assert dead == [] and len(cases) >= 11


def test_a_registered_extension_code_is_checked_like_any_global() -> None:
    # copyreg's registry is process-wide, so the code is registered in a child process;
    # EXT1 200 then stands for os.system, which the loader must refuse to look up.
    script = ("import copyreg\n"
              "from assay.store.safe_pickle import UnsafeArtifactError, loads\n"
              "copyreg.add_extension('os', 'system', 200)\n"
              "try:\n"
              "    loads(b'\\x80\\x04\\x82\\xc8.')\n"
              "except UnsafeArtifactError as error:\n"
              "    print(error)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout.startswith("refusing to load the pickle: it names os:system"), done


# ------------------------------------------------------------------ a real store


@pytest.fixture
def registered(tmp_path: Path) -> Iterator[tuple[Store, str, Path]]:
    """A store holding one registered model (``churn:v1``); yields it, the model's
    fingerprint and the path of its pickle."""
    fitted = dict(shipped_fitted())["pipeline"]
    store = Store(tmp_path / ".assay")
    fingerprint = "ab" * 32
    manifest = store.artifacts.write(fingerprint, {"model": ("model", fitted)}, {"node": "train"})
    record = manifest.outputs["model"]
    ModelRegistry(store.metadata).register(NewVersion(
        name="churn", run_id="r1", pipeline="train", register_fingerprint="f1",
        model_fingerprint=fingerprint, model_sha256=record.sha256, estimator="Pipeline",
        task="classification", config="model:\n  _target_: sklearn.linear_model.LogisticRegression\n",
        overrides=[], fingerprints={}, metrics={}, code={}, packages={}))
    try:
        yield store, fingerprint, store.artifacts.entry_dir(fingerprint) / record.file
    finally:
        store.close()


def _tamper(store: Store, fingerprint: str, path: Path, data: bytes) -> None:
    """What an attacker who can write the store's files does: new bytes, and a manifest
    whose size and sha256 match them."""
    import json

    path.write_bytes(data)
    manifest_path = store.artifacts.entry_dir(fingerprint) / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["outputs"]["model"].update(size=len(data), sha256=hashlib.sha256(data).hexdigest())
    manifest_path.write_text(json.dumps(manifest))


def test_a_registered_model_loads_when_untouched(registered: tuple[Store, str, Path]) -> None:
    store, _, _ = registered
    rows = np.random.default_rng(0).normal(size=(3, 2))
    import pandas as pd

    frame = pd.DataFrame({"a": rows[:, 0], "b": rows[:, 1],
                          "colour": pd.Series(["red"] * 3, dtype="string"),
                          "size": ["s"] * 3, "flag": [True] * 3})
    expected = dict(shipped_fitted())["pipeline"].predict(frame)
    assert (load_model("churn", store=store.root).predict(frame) == expected).all()


def test_a_tampered_model_is_refused_by_the_registry_checksum_before_unpickling(
        registered: tuple[Store, str, Path], marker: Path) -> None:
    store, fingerprint, path = registered
    fitted = dict(shipped_fitted())["pipeline"]
    _, data, _ = next(_fickled(_protocol4(fitted), marker))
    _tamper(store, fingerprint, path, data)
    expected = (f"the model of churn:v1 ({path}) is not the one registered: its sha256 is ")
    with pytest.raises(ModelIntegrityError, match=re.escape(expected)) as refused:
        load_model("churn", store=store.root)
    assert "hint: run `assay verify --repair`, or `assay models restore churn:v1`" in str(
        refused.value)
    version = ModelRegistry(store.metadata).resolve("churn")
    # The monitor's loader (run on Dask workers) and the report check it the same way.
    with pytest.raises(ModelIntegrityError):
        load_stored_model(str(store.root), version, ProjectTrust())
    with pytest.raises(ModelIntegrityError):
        stored_model_or_none(store, version)
    # With the registry check bypassed, the artifact-level loader refuses the payload.
    with pytest.raises(UnsafeArtifactError, match=re.escape(
            f"refusing to load {path}: it names builtins:exec")):
        store.artifacts.read(fingerprint, "model")


def test_a_store_whose_registry_is_written_too_allows_itself_nothing(
        registered: tuple[Store, str, Path], marker: Path) -> None:
    # Whoever can also write the registry makes the checksums agree and records a config
    # that names the payload's class as a target and in security.allow_pickle: neither
    # is trusted (security settings come from the project, targets pass its rules).
    store, fingerprint, path = registered
    data = payload(marker, "subprocess.Popen called")
    _tamper(store, fingerprint, path, data)
    config = ("model:\n  _target_: subprocess.Popen\n"
              "security:\n  allow_pickle: ['subprocess:Popen']\n"
              "  allow_targets: [subprocess]\n")
    with store.metadata.transaction() as tx:
        tx.execute("UPDATE model_versions SET model_sha256 = ?, config = ?",
                   (hashlib.sha256(data).hexdigest(), config))
    version = ModelRegistry(store.metadata).resolve("churn")
    assert version_allowance(version, ProjectTrust(REPO)).targets == frozenset()
    with pytest.raises(UnsafeArtifactError, match=re.escape("it names subprocess:Popen")):
        stored_model(store, version, ProjectTrust(REPO))
    with pytest.raises(UnsafeArtifactError, match=re.escape("it names subprocess:Popen")):
        load_model("churn", store=store.root)


def test_the_project_trusts_its_own_classes_named_by_a_recorded_target(
        registered: tuple[Store, str, Path]) -> None:
    store, _, _ = registered
    with store.metadata.transaction() as tx:
        tx.execute("UPDATE model_versions SET config = ?", (
            "model:\n  _target_: sklearn.svm.SVC\nhelper:\n  _target_: tests.unit.pickle_payloads.Payload\n"
            "factory:\n  _target_: tests.unit.pickle_payloads.hand_built\n",))
    version = ModelRegistry(store.metadata).resolve("churn")
    assert version_allowance(version, ProjectTrust(REPO)).targets == {
        "sklearn.svm.SVC", "tests.unit.pickle_payloads.Payload",
        "tests.unit.pickle_payloads.hand_built"}  # the loader trusts only the classes
    # Outside the project, its modules are not the project's: only scikit-learn's class.
    assert version_allowance(version, ProjectTrust(REPO / "src")).targets == {"sklearn.svm.SVC"}


def test_the_project_in_the_working_directory_decides_what_load_model_trusts(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert ProjectTrust.here(["extra:Thing"]) == ProjectTrust(tmp_path.resolve(), ("extra:Thing",))
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "config.yaml").write_text(
        "security:\n  allow_pickle: ['mymodels:Helper']\n  allow_targets: [lightgbm]\n")
    assert ProjectTrust.here(["extra:Thing"]) == ProjectTrust(
        tmp_path.resolve(), ("mymodels:Helper", "extra:Thing"), ("lightgbm",))
    from omegaconf import OmegaConf

    cfg = OmegaConf.create({"security": {"allow_pickle": ["a.b:C"], "allow_targets": []}})
    assert ProjectTrust.of(cfg, tmp_path) == ProjectTrust(tmp_path, ("a.b:C",), ())


# ------------------------------------------------------------------ picklescan


def test_picklescan_finds_nothing_dangerous_in_what_assay_writes(tmp_path: Path) -> None:
    from picklescan.scanner import scan_directory_path, scan_pickle_bytes

    store = Store(tmp_path / ".assay")
    try:
        for number, (_, fitted) in enumerate(shipped_fitted()):
            store.artifacts.write(f"{number:02d}" * 32, {"model": ("model", fitted)}, {})
    finally:
        store.close()
    written = sorted((tmp_path / ".assay" / "artifacts").rglob("*.pkl"))
    assert len(written) == len(shipped_fitted())
    result = scan_directory_path(str(tmp_path / ".assay" / "artifacts"))
    assert (result.scanned_files, result.issues_count, result.infected_files, result.scan_err) \
        == (len(written), 0, 0, False)
    # The scanner is not blind: it flags a payload of the corpus.
    import io

    flagged = scan_pickle_bytes(io.BytesIO(hand_built(tmp_path / "m")[3].data), "payload")
    assert flagged.issues_count == 1
