"""The report's content, collected from a real store as plain data."""

from __future__ import annotations

from pathlib import Path

from assay.report.card import changes
from assay.report.collect import collect
from assay.store import Store
from tests.helpers import assay

FAST = ["executor=threads"]


def test_an_empty_store_is_not_recorded_yet_rather_than_an_error(tmp_path: Path) -> None:
    site = collect(Store(tmp_path / ".assay"))
    assert site.models == site.runs == site.sweeps == site.drift == ()
    assert site.not_recorded == ("models", "runs", "sweeps", "drift")


def test_versions_runs_sweeps_and_drift_are_collected(project: Path) -> None:
    from sklearn.datasets import load_breast_cancer

    load_breast_cancer(as_frame=True).frame.to_parquet(project / "same.parquet")
    for overrides in (["model.C=1.0"], ["model.C=0.5"]):
        assert assay("run", *FAST, *overrides, cwd=project).returncode == 0
    assert assay("run", "-m", *FAST, "model.C=0.1,2.0", cwd=project).returncode == 0
    assert assay("monitor", *FAST, "monitor.current=same.parquet", cwd=project).returncode == 0

    site = collect(Store(project / ".assay"))
    assert site.not_recorded == ()
    cards = {card.version.ref: card for card in site.models}
    assert list(cards) == [f"logistic-regression:v{n}" for n in range(1, 5)]
    second = cards["logistic-regression:v2"]
    assert second.previous == "logistic-regression:v1"
    assert second.before is not None and second.before.version == 1
    # what changed is computed for a card when it is written, not on every collect
    assert changes(second)["overrides"]["model.C"] == ["1.0", "0.5"]
    assert changes(cards["logistic-regression:v1"]) == {}
    assert cards["logistic-regression:v4"].latest_drift is not None  # checked against latest
    assert cards["logistic-regression:v1"].latest_drift is None
    assert len(site.runs) == 4 and len(site.sweeps) == 1
    assert [e.rank for e in site.sweeps[0].entries] == [1, 2]
    assert site.drift[0].model == "logistic-regression:v4" and not site.drift[0].drifted
    assert site.drift[0].model_name == "logistic-regression"
