"""The model card's plots, drawn by :mod:`assay.report.canvas`: byte-identical for identical
input. Drift and sweep plots are in :mod:`assay.report.monitor_plots`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assay.report.canvas import is_number, new_figure, png, text, xticks
from assay.report.evaluation import Evaluation

if TYPE_CHECKING:
    from matplotlib.figure import Figure

TOP_FEATURES = 20


@dataclass(frozen=True)
class Plot:
    """One image written for a model card.

    Attributes:
        name: The file stem, e.g. ``roc``.
        title: A human title, e.g. ``ROC curve``.
        file: The file name written in the output folder, e.g. ``roc.png``.
    """

    name: str
    title: str
    file: str


@dataclass(frozen=True)
class CardPlot:
    """A model card plot to draw: which one, from what, and how.

    Attributes:
        plot: The image it becomes.
        data: What it is drawn from (plain data, so a hash of it identifies the plot).
        draw: Draws ``data`` on a figure.
    """

    plot: Plot
    data: Any
    draw: Callable[[Figure, Any], None]

    def render(self) -> bytes:
        """The plot as PNG bytes, titled."""
        figure = new_figure()
        self.draw(figure, self.data)
        figure.suptitle(self.plot.title)
        return png(figure)


def evaluation_plots(evaluation: Evaluation,
                     training: Mapping[str, Any] | None = None) -> list[CardPlot]:
    """Every plot that applies to ``evaluation``, not drawn yet.

    Args:
        evaluation: What :func:`assay.report.evaluation.evaluate` computed.
        training: A torch model's training record: ``{"history": [{"epoch": 1,
            "train_loss": ...}, ...], "best_epoch": ...}``, or a mapping of per-epoch lists.

    Returns:
        The plots with data to draw, in a fixed order (curves, training, importance).
    """
    curves = evaluation.curves
    jobs: list[tuple[str, str, Callable[[Figure, Any], None], Any]] = [
        ("roc", "ROC curve", _roc, curves.get("roc")),
        ("pr", "Precision-recall curve", _pr, curves.get("pr")),
        ("confusion", "Confusion matrix", _confusion, curves.get("confusion")),
        ("calibration", "Calibration", _calibration, curves.get("calibration")),
        ("residuals", "Residuals", _residuals, curves.get("residuals")),
        ("predicted_vs_actual", "Predicted vs actual", _predicted_vs_actual,
         curves.get("predicted_vs_actual")),
        ("training", "Training curves", _training, _training_series(training)),
        ("importance", "Permutation feature importance", _importance, evaluation.importance),
    ]
    return [CardPlot(Plot(name, title, f"{name}.png"), data, draw)
            for name, title, draw, data in jobs if data]


def _roc(figure: Figure, data: Mapping[str, Any]) -> None:
    ax = figure.subplots()
    ax.plot(data["fpr"], data["tpr"])
    ax.plot([0, 1], [0, 1], linestyle=":", color="grey")
    ax.set(xlabel="false positive rate", ylabel="true positive rate", xlim=(0, 1), ylim=(0, 1.01))


def _pr(figure: Figure, data: Mapping[str, Any]) -> None:
    ax = figure.subplots()
    ax.plot(data["recall"], data["precision"], drawstyle="steps-post")
    ax.set(xlabel="recall", ylabel="precision", xlim=(0, 1), ylim=(0, 1.01))


def _calibration(figure: Figure, data: Mapping[str, Any]) -> None:
    ax = figure.subplots()
    ax.plot(data["predicted"], data["observed"], marker="o")
    ax.plot([0, 1], [0, 1], linestyle=":", color="grey")
    ax.set(xlabel="mean predicted probability", ylabel="observed frequency", xlim=(0, 1), ylim=(0, 1.01))


def _confusion(figure: Figure, data: Mapping[str, Any]) -> None:
    import numpy as np

    labels, matrix = [text(label) for label in data["labels"]], np.asarray(data["matrix"])
    ax = figure.subplots()
    image = ax.imshow(matrix, cmap="Blues")
    xticks(ax, labels)
    ax.set_yticks(range(len(labels)), labels)
    ax.set(xlabel="predicted", ylabel="actual")
    if len(labels) <= 20:  # beyond that the counts would overlap
        for (row, col), count in np.ndenumerate(matrix):
            ax.text(col, row, str(count), ha="center", va="center",
                    color="white" if count > matrix.max() / 2 else "black")
    figure.colorbar(image, ax=ax)


def _residuals(figure: Figure, data: Mapping[str, Any]) -> None:
    ax = figure.subplots()
    ax.scatter(data["predicted"], data["residual"], s=8, alpha=0.5)
    ax.axhline(0, color="grey", linestyle=":")
    ax.set(xlabel="predicted", ylabel="actual - predicted")


def _predicted_vs_actual(figure: Figure, data: Mapping[str, Any]) -> None:
    ax = figure.subplots()
    ax.scatter(data["actual"], data["predicted"], s=8, alpha=0.5)
    values = [*data["actual"], *data["predicted"]]
    ax.plot([min(values), max(values)], [min(values), max(values)], color="grey", linestyle=":")
    ax.set(xlabel="actual", ylabel="predicted")


def _importance(figure: Figure, importance: Sequence[tuple[str, float, float]]) -> None:
    top = importance[:TOP_FEATURES]
    ax = figure.subplots()
    ax.barh(range(len(top)), [m for _, m, _ in top], xerr=[s for _, _, s in top], capsize=2)
    ax.set_yticks(range(len(top)), [text(c) for c, _, _ in top], fontsize=8)
    ax.invert_yaxis()  # most important on top
    ax.set_xlabel("drop in score when the column is shuffled")


def _training_series(training: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """``{"series": {name: (epochs, values)}, "best": epoch or None}`` from either form of
    training record; None when it holds no per-epoch numbers."""
    if not training:
        return None
    history = training.get("history")
    series: dict[str, tuple[list[float], list[float]]] = {}
    if isinstance(history, Sequence) and all(isinstance(h, Mapping) for h in history):
        for name in dict.fromkeys(k for h in history for k in h if k != "epoch"):
            points = [(float(h.get("epoch", i + 1)), float(h[name]))
                      for i, h in enumerate(history) if is_number(h.get(name))]
            if points:
                series[str(name)] = ([e for e, _ in points], [v for _, v in points])
    else:
        for name, values in training.items():
            if isinstance(values, Sequence) and not isinstance(values, str) and values \
                    and all(is_number(v) for v in values):
                series[str(name)] = ([float(i + 1) for i in range(len(values))], [float(v) for v in values])
    best = training.get("best_epoch")
    return {"series": series, "best": best if is_number(best) else None} if series else None


def _training(figure: Figure, data: Mapping[str, Any]) -> None:
    """Losses on the left, other per-epoch metrics (accuracy, RMSE) on the right."""
    losses = {k: v for k, v in data["series"].items() if "loss" in k}
    others = {k: v for k, v in data["series"].items() if "loss" not in k}
    groups = [(g, label) for g, label in ((losses, "loss"), (others, "metric")) if g]
    for ax, (group, label) in zip(figure.subplots(1, len(groups), squeeze=False)[0], groups, strict=True):
        for name, (epochs, values) in group.items():
            ax.plot(epochs, values, marker="." if len(values) < 30 else None, label=text(name))
        if data["best"] is not None:
            ax.axvline(data["best"], color="grey", linestyle=":", label="best epoch")
        ax.set(xlabel="epoch", ylabel=label)
        ax.legend(fontsize=8)
