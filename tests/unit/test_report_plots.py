"""The report's plots: the files written, byte-identical redraws, and user text drawn safely."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from matplotlib.image import imread
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from assay.artifacts import Dataset
from assay.monitor.profile import CategoricalProfile, NumericProfile, numeric_edges
from assay.report.canvas import text
from assay.report.evaluation import Evaluation, evaluate
from assay.report.monitor_plots import draw_histograms, draw_sweep, draw_timeline
from assay.report.plots import Plot, evaluation_plots

PNG = b"\x89PNG\r\n\x1a\n"
HOSTILE = ["$x$", "<img onerror=alert(1)>", r"$\frac{1}{$", "_hidden", "<script>alert(1)</script>"]
TRAINING = {"history": [{"epoch": 1, "train_loss": 0.9, "val_loss": 1.0, "val_accuracy": 0.6},
                        {"epoch": 2, "train_loss": 0.5, "val_loss": 0.7, "val_accuracy": 0.8},
                        {"epoch": 3, "train_loss": 0.4, "val_loss": 0.75, "val_accuracy": 0.79}],
            "best_epoch": 2, "device": "cpu"}


def _evaluation(loader: Any, task: str, labels: list[str] | None = None) -> Evaluation:
    frame = loader(as_frame=True).frame.iloc[:, -7:]  # a few features keep permutation fast
    frame = frame.rename(columns=dict(zip(frame.columns[:3], HOSTILE[:3], strict=True)))
    if labels:
        frame["target"] = np.asarray(labels)[frame["target"]]
    data = Dataset(frame, "target", task)  # type: ignore[arg-type]
    estimator = LogisticRegression(max_iter=1000) if task == "classification" else Ridge()
    model = Pipeline([("features", StandardScaler()), ("estimator", estimator)])
    return evaluate(model.fit(data.features, data.labels), data, resamples=50)


@pytest.fixture(scope="module")
def evaluations() -> dict[str, Evaluation]:
    return {"binary": _evaluation(load_breast_cancer, "classification", HOSTILE[-2:]),
            "multiclass": _evaluation(load_iris, "classification", HOSTILE[:3]),
            "regression": _evaluation(load_diabetes, "regression")}


def draw_evaluation(evaluation: Evaluation, out_dir: Path,
                    training: dict[str, Any] | None = None) -> list[Plot]:
    """Every plot that applies, drawn into ``out_dir`` as the card does."""
    out_dir.mkdir(parents=True, exist_ok=True)
    plots = evaluation_plots(evaluation, training)
    for plot in plots:
        (out_dir / plot.plot.file).write_bytes(plot.render())
    return [plot.plot for plot in plots]


def _valid_png(path: Path) -> None:
    assert path.read_bytes().startswith(PNG)
    height, width, _ = imread(path).shape
    assert height > 0 and width > 0


@pytest.mark.parametrize(("case", "names"), [
    ("binary", ["roc", "pr", "confusion", "calibration", "training", "importance"]),
    ("multiclass", ["confusion", "training", "importance"]),
    ("regression", ["residuals", "predicted_vs_actual", "training", "importance"]),
])
def test_draw_evaluation_writes_every_plot_that_applies(case: str, names: list[str], tmp_path: Path,
                                                        evaluations: dict[str, Evaluation]) -> None:
    plots = draw_evaluation(evaluations[case], tmp_path, TRAINING)
    assert [p.name for p in plots] == names
    assert all(isinstance(p, Plot) and p.file == f"{p.name}.png" and p.title for p in plots)
    for plot in plots:
        _valid_png(tmp_path / plot.file)
    assert sorted(f.name for f in tmp_path.iterdir()) == sorted(p.file for p in plots)


@pytest.mark.parametrize("case", ["binary", "multiclass", "regression"])
def test_plots_are_byte_identical_when_redrawn(case: str, tmp_path: Path,
                                               evaluations: dict[str, Evaluation]) -> None:
    first = draw_evaluation(evaluations[case], tmp_path / "a", TRAINING)
    draw_evaluation(evaluations[case], tmp_path / "b", TRAINING)
    for plot in first:
        assert (tmp_path / "a" / plot.file).read_bytes() == (tmp_path / "b" / plot.file).read_bytes(), plot


def test_training_curves_from_lists_and_none_without_training(tmp_path: Path,
                                                              evaluations: dict[str, Evaluation]) -> None:
    plots = draw_evaluation(evaluations["regression"], tmp_path / "lists",
                            {"train_loss": [3.0, 2.0, 1.5], "val_rmse": [2.0, 1.8, 1.7], "device": "cuda"})
    assert "training" in [p.name for p in plots]
    _valid_png(tmp_path / "lists" / "training.png")
    assert "training" not in [p.name for p in draw_evaluation(evaluations["regression"], tmp_path / "none")]
    assert "training" not in [p.name for p in draw_evaluation(evaluations["regression"], tmp_path / "empty",
                                                               {"history": [], "best_epoch": None})]


def _numeric(values: np.ndarray, edges: np.ndarray) -> dict[str, Any]:
    profile = NumericProfile(edges, np.zeros(len(edges) + 1, dtype=np.int64))
    profile.add(values, np.random.default_rng(0))
    return profile.to_json()


def _categorical(values: list[str | None]) -> dict[str, Any]:
    import pandas as pd

    profile = CategoricalProfile()
    profile.add(pd.Series(values, dtype=object))
    return profile.to_json()


def test_histograms_of_numeric_and_categorical_profiles(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    reference_values = rng.normal(size=2000)
    edges = numeric_edges(reference_values)
    reference, current = _numeric(reference_values, edges), _numeric(rng.normal(0.5, 1.2, 500), edges)
    for column in ("age", *HOSTILE):
        (tmp_path / "numeric.png").write_bytes(draw_histograms(column, reference, current))
        _valid_png(tmp_path / "numeric.png")
    values = [*HOSTILE, *(f"city-{i}" for i in range(40)), None]
    reference = _categorical([values[i % len(values)] for i in range(900)])
    current = _categorical([values[(i * 7) % 20] for i in range(300)])
    (tmp_path / "categorical.png").write_bytes(draw_histograms("$city$", reference, current))
    _valid_png(tmp_path / "categorical.png")
    first = (tmp_path / "categorical.png").read_bytes()
    (tmp_path / "categorical.png").write_bytes(draw_histograms("$city$", reference, current))
    assert (tmp_path / "categorical.png").read_bytes() == first


def test_histograms_reject_profiles_of_different_kinds(tmp_path: Path) -> None:
    numeric = _numeric(np.arange(10.0), np.array([0.0, 5.0, 10.0]))
    with pytest.raises(ValueError, match="numeric reference profile"):
        draw_histograms("x", numeric, _categorical(["a"]))


def test_timeline(tmp_path: Path) -> None:
    points = [(1_700_000_000.0 + day * 86_400, share) for day, share in enumerate([0.1, 0.2, 0.6, 0.3])]
    (tmp_path / "timeline.png").write_bytes(draw_timeline(points, 0.5))
    _valid_png(tmp_path / "timeline.png")
    first = (tmp_path / "timeline.png").read_bytes()
    (tmp_path / "timeline.png").write_bytes(draw_timeline(list(reversed(points)), 0.5))
    assert (tmp_path / "timeline.png").read_bytes() == first
    for few in ([], points[:1]):
        (tmp_path / "few.png").write_bytes(draw_timeline(few, 0.5))
        _valid_png(tmp_path / "few.png")


def test_sweep(tmp_path: Path) -> None:
    rows = [{"params": {"lr": 10.0 ** -i, "solver": ["adam", "sgd"][i % 2], "early": bool(i % 3),
                        HOSTILE[0]: HOSTILE[i % len(HOSTILE)]},
             "value": None if i == 3 else 0.5 + i / 20} for i in range(8)]
    (tmp_path / "sweep.png").write_bytes(draw_sweep(rows, r"$\frac{$ loss"))
    _valid_png(tmp_path / "sweep.png")
    first = (tmp_path / "sweep.png").read_bytes()
    (tmp_path / "sweep.png").write_bytes(draw_sweep(rows, r"$\frac{$ loss"))
    assert (tmp_path / "sweep.png").read_bytes() == first
    (tmp_path / "empty.png").write_bytes(draw_sweep([], "loss"))
    _valid_png(tmp_path / "empty.png")


def test_user_text_is_never_mathtext() -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.cbook import is_math_text
    from matplotlib.figure import Figure

    def draw(labels: list[str]) -> None:
        figure = Figure()
        FigureCanvasAgg(figure)
        ax = figure.subplots()
        for i, label in enumerate(labels):
            ax.text(0, i, label)
        figure.canvas.draw()

    with pytest.raises(ValueError):  # what escaping prevents
        draw([r"$\frac{1}{$"])
    draw([text(label) for label in HOSTILE])
    assert not any(is_math_text(text(label)) for label in HOSTILE)
    assert text("$x$") == r"\$x\$"
    assert text("_hidden") == " _hidden"
    assert text("x" * 100).endswith("…") and len(text("x" * 100)) == 40
