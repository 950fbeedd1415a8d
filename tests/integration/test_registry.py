"""The model registry end to end: versions, concurrency, gates, diff and reproduce."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import assay, assert_clean_error

FAST = ["executor=threads"]


def _run(project: Path, *overrides: str) -> subprocess.CompletedProcess[str]:
    result = assay("run", *FAST, *overrides, cwd=project)
    assert result.returncode == 0, result.stderr
    return result


def _json(project: Path, *args: str) -> Any:
    result = assay(*args, "--json", cwd=project)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def csv_project(project: Path) -> Path:
    """The project with the breast-cancer data as a CSV file of its own."""
    from sklearn.datasets import load_breast_cancer

    load_breast_cancer(as_frame=True).frame.to_csv(project / "cancer.csv", index=False)
    return project


CSV = ["data=csv", "data.path=cancer.csv", "data.target=target", "registry.name=cancer"]


def test_a_run_registers_a_version_with_its_lineage_once(project: Path) -> None:
    first = _run(project, "+registry.tags.team=risk")
    assert "registered logistic-regression:v1" in first.stdout
    again = _run(project, "+registry.tags.team=risk")
    assert "logistic-regression:v1 is already registered" in again.stdout
    versions = _json(project, "models", "list")
    assert [v["ref"] for v in versions] == ["logistic-regression:v1"]

    shown = _json(project, "models", "show", "logistic-regression@latest")
    runs = _json(project, "runs", "list")
    assert shown["run_id"] == runs[-1]["id"]  # the first run made it; the second found it
    assert shown["tags"] == {"team": "risk"}
    assert shown["overrides"] == [*FAST, "+registry.tags.team=risk"]
    assert "C: 1.0" in shown["config"] and "_target_: sklearn.linear_model" in shown["config"]
    assert shown["estimator"] == "sklearn.linear_model.LogisticRegression"
    assert set(shown["fingerprints"]) == {"load", "validate", "split", "features", "train",
                                          "evaluate", "profile_train", "profile", "register"}
    assert shown["model"]["fingerprint"] == shown["fingerprints"]["train"]
    assert len(shown["model"]["sha256"]) == 64
    data = {d["role"]: d for d in shown["datasets"]}
    assert (data["data"]["rows"], data["train"]["rows"], data["test"]["rows"]) == (569, 426, 143)
    assert data["train"]["columns"]["target"] == "int64"
    assert data["train"]["fingerprint"] == shown["fingerprints"]["split"]
    assert set(shown["packages"]) >= {"python", "assay", "scikit-learn", "torch", "pandas",
                                      "numpy"}
    assert shown["packages"]["scikit-learn"]
    assert shown["metrics"]["roc_auc"] > 0.9
    assert set(shown["code"]) == {"commit", "dirty"}

    used = _json(project, "data", "list")
    assert {u["role"] for u in used} == {"data", "train", "test"}
    assert all(u["models"] == ["logistic-regression:v1"] for u in used)
    run = _json(project, "runs", "show", runs[-1]["id"])
    assert run["registered"] == ["logistic-regression:v1"]
    assert {t["node"] for t in run["tasks"]} >= {"train", "register"}


def test_the_code_commit_and_dirty_state_are_recorded(project: Path) -> None:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=project, check=True, capture_output=True,
                              text=True).stdout.strip()

    git("init", "-q")
    git("-c", "user.email=a@b", "-c", "user.name=a", "add", "configs", "pipelines")
    git("-c", "user.email=a@b", "-c", "user.name=a", "commit", "-qm", "start")
    _run(project)
    clean = _json(project, "models", "show", "logistic-regression")["code"]
    assert clean == {"commit": git("rev-parse", "HEAD"), "dirty": False}
    with (project / "configs" / "model" / "logistic.yaml").open("a") as file:
        file.write("tol: 0.001\n")
    _run(project)
    assert _json(project, "models", "show", "logistic-regression:v2")["code"]["dirty"] is True


def test_two_concurrent_runs_register_distinct_versions(project: Path) -> None:
    processes = [
        subprocess.Popen([sys.executable, "-m", "assay", "run", *FAST, f"model.C={c}"],
                         cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for c in (0.5, 2.0)
    ]
    outputs = [p.communicate(timeout=240) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], [err for _, err in outputs]
    versions = _json(project, "models", "list")
    assert sorted(v["version"] for v in versions) == [1, 2]
    assert len({v["run_id"] for v in versions}) == 2
    by_c = {_json(project, "models", "show", v["ref"])["overrides"][-1]: v["ref"]
            for v in versions}
    assert set(by_c) == {"model.C=0.5", "model.C=2.0"}
    for out, _ in outputs:  # each run reports the version it made
        assert sum(f"registered {ref}" in out for ref in by_c.values()) == 1


GATE = ["registry.promote.metric=roc_auc", "registry.promote.must_beat=champion"]


def test_a_refusing_gate_keeps_the_champion_records_why_and_exits_3(project: Path) -> None:
    first = _run(project, *GATE, "registry.promote.min=0.9")
    assert "is now logistic-regression@champion" in first.stdout
    # A weaker model (heavier regularisation) must beat the champion by 0.001: it cannot.
    refused = assay("run", *FAST, *GATE, "registry.promote.by=0.001", "model.C=0.01",
                    "registry.require_promotion=true", cwd=project)
    stderr = assert_clean_error(refused, code=3)
    assert "promotion gate refused" in stderr and "logistic-regression:v2" in stderr
    assert "vs champion logistic-regression:v1" in stderr
    champion = _json(project, "models", "show", "logistic-regression@champion")
    assert champion["ref"] == "logistic-regression:v1"
    decisions = _json(project, "models", "show", "logistic-regression:v2")["promotions"]
    assert [d["promoted"] for d in decisions] == [False]
    assert decisions[0]["previous"] == 1 and decisions[0]["gate"]["by"] == 0.001
    assert "needs 0.001 higher" in decisions[0]["reasons"][0]
    # Without require_promotion the same refusal is recorded but the run succeeds.
    again = assay("run", *FAST, *GATE, "registry.promote.by=0.001", "model.C=0.01", cwd=project)
    assert again.returncode == 0 and "was not promoted to champion" in again.stdout


def test_models_can_be_promoted_and_tagged_by_hand(project: Path) -> None:
    _run(project)
    _run(project, "model.C=0.5")
    moved = _json(project, "models", "promote", "logistic-regression:v1", "staging")
    assert moved == {"ref": "logistic-regression:v1", "alias": "staging", "previous": None}
    _json(project, "models", "tag", "logistic-regression@staging", "owner=risk", "ticket=42")
    shown = _json(project, "models", "show", "logistic-regression@staging")
    assert shown["version"] == 1 and shown["tags"] == {"owner": "risk", "ticket": "42"}
    assert "staging" in shown["aliases"]
    assert _json(project, "models", "show", "logistic-regression")["version"] == 2  # latest


def test_diff_shows_exactly_the_overrides_that_differ(project: Path) -> None:
    _run(project, "model.C=0.5", "split.seed=1", "features=standard")
    _run(project, "model.C=2.0", "split.seed=1", "features=minmax")
    diff = _json(project, "models", "diff", "logistic-regression:v1", "logistic-regression:v2")
    assert diff["overrides"] == {"features": ["standard", "minmax"], "model.C": ["0.5", "2.0"]}
    assert diff["config"]["model.C"] == [0.5, 2.0]
    assert "split.seed" not in diff["config"] and diff["data"] == {}
    assert set(diff["steps"]) == {"features", "train", "evaluate", "profile", "register"}
    assert diff["metrics"]["roc_auc"]["change"] == pytest.approx(
        diff["metrics"]["roc_auc"]["b"] - diff["metrics"]["roc_auc"]["a"])
    text = assay("models", "diff", "logistic-regression:v1", "logistic-regression:v2",
                 cwd=project).stdout
    assert "model.C: 0.5 -> 2.0" in text and "data: no differences" in text


def test_reproduce_passes_then_names_the_dataset_that_changed(csv_project: Path) -> None:
    _run(csv_project, *CSV)
    result = assay("reproduce", "cancer:v1", cwd=csv_project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "cancer:v1 reproduced: 9 step fingerprints, 12 metrics" in result.stdout
    # The model is only said to match when its checksum did (a differing one is a note).
    checksum_noted = "note: model artifact checksum" in result.stdout
    assert ("and the model artifact match" in result.stdout) is not checksum_noted
    checked = _json(csv_project, "reproduce", "cancer@latest")
    assert checked["ok"] and checked["differences"] == []
    assert checked["compared"] == {"steps": 9, "metrics": 12}
    assert checked["model_matches"] is not any(n["kind"] == "model" for n in checked["notes"])

    frame = (csv_project / "cancer.csv").read_text().splitlines()
    frame[1] = frame[1].replace(frame[1].split(",")[0], "99.0", 1)
    (csv_project / "cancer.csv").write_text("\n".join(frame) + "\n")
    failed = assay("reproduce", "cancer:v1", cwd=csv_project)
    assert failed.returncode == 1
    assert "dataset 'load' (cancer.csv)" in failed.stdout
    assert "fingerprint differs: data changed" in failed.stdout
    as_json = assay("reproduce", "cancer:v1", "--json", cwd=csv_project)
    assert as_json.returncode == 1
    differences = json.loads(as_json.stdout)
    assert not differences["ok"]
    causes = [d for d in differences["differences"] if d["kind"] == "dataset"]
    assert len(causes) == 1 and causes[0]["recorded"] != causes[0]["reproduced"]


@pytest.mark.parametrize(("args", "message"), [
    (["models", "show", "nothing"], "no model is registered as 'nothing'"),
    (["models", "show", "logistic-regression:v7"], "there is no version logistic-regression:v7"),
    (["models", "show", "logistic-regression@gold"], "has no alias 'gold'"),
    (["models", "show", "bad name"], "is not a valid name"),
    (["models", "promote", "logistic-regression", "latest"], "'latest' cannot be an alias"),
    (["models", "tag", "logistic-regression", "notatag"], "'notatag' is not a tag"),
    (["models", "frobnicate"], "unknown models command"),
    (["runs", "show", "20990101-000000-abcdef"], "there is no run"),
    (["reproduce"], "the following arguments are required: ref"),
    (["reproduce", "logistic-regression:v1", "--into", ".assay"],
     "key '--into': cannot reproduce into .assay: it already holds an assay store"),
    (["models", "list", "--store", "nowhere"], "no assay store at nowhere"),
])
def test_bad_references_and_arguments_are_clean_errors(project: Path, args: list[str],
                                                       message: str) -> None:
    _run(project)
    assert message in assert_clean_error(assay(*args, cwd=project))


def test_a_store_whose_database_is_not_sqlite_is_a_clean_error(project: Path) -> None:
    broken = project / "broken"
    broken.mkdir()
    (broken / "assay.db").write_text("not a database\n" * 100)
    stderr = assert_clean_error(assay("models", "list", "--store", "broken", cwd=project), 1)
    assert "assay.db is not an assay store (file is not a database)" in stderr
    assert "hint:" in stderr


def test_bad_registry_config_is_refused_before_running(project: Path) -> None:
    no_gate = assay("run", *FAST, "registry.require_promotion=true", cwd=project)
    assert "no promotion gate is set" in assert_clean_error(no_gate)
    bad_name = assay("run", *FAST, "registry.name=a:b", cwd=project)
    assert "'registry.name' is not a valid name" in assert_clean_error(bad_name)
    latest = assay("run", *FAST, "registry.promote.metric=roc_auc",
                   "registry.promote.alias=latest", cwd=project)
    stderr = assert_clean_error(latest)
    assert "key 'registry.promote.alias': 'registry.promote.alias' cannot be 'latest'" in stderr
    assert not (project / ".assay" / "assay.db").exists() or not _json(project, "models", "list")


def test_each_job_of_a_sweep_registers_its_version_once(project: Path) -> None:
    for _ in range(2):
        result = assay("run", "-m", *FAST, "model.C=0.5,2.0", cwd=project)
        assert result.returncode == 0, result.stderr
    versions = _json(project, "models", "list")
    assert [v["ref"] for v in versions] == ["logistic-regression:v1", "logistic-regression:v2"]
    overrides = [_json(project, "models", "show", v["ref"])["overrides"] for v in versions]
    assert sorted(o[-1] for o in overrides) == ["model.C=0.5", "model.C=2.0"]
